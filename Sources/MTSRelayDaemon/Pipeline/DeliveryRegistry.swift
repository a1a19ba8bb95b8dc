import AMQPClient
import MTSProtocol
import Synchronization

/// The reply deliveries handed to the engine and not yet acknowledged, by token.
///
/// The engine carries only the token; the result loop looks the delivery up here to build
/// its record, dead-letter it when invalid, and acknowledge it. Its size is bounded by the
/// reply channels' prefetch.
final class DeliveryRegistry: Sendable {
    struct Entry: Sendable {
        var delivery: AMQPDelivery
        var queue: String
        /// What could be read from the reply, for the record (status, code, ticketId...).
        var summary: MTSReplySummary?
        /// Whether the body is a JSON object (so it can be spliced into a record).
        var isJSONObject: Bool
        /// Where an invalid reply is republished.
        var deadLetter: DeadLetterPublisher
        /// The connection the delivery came on.
        var connectionID: ObjectIdentifier
        /// When the delivery reached the daemon, for the relay latency.
        var receivedAt = ContinuousClock.now
        /// Why an invalid reply is dead-lettered, for the metric.
        var deadLetterReason = RelayMetrics.DeadLetterReason.invalid
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextToken: UInt64 = 1
        /// Entries whose result is being delivered right now.
        var inFlight = 0
    }

    private let state = Mutex(State())

    func add(_ entry: Entry) -> UInt64 {
        state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            state.entries[token] = entry
            return token
        }
    }

    /// Takes the entry for a result that is about to be delivered.
    func take(_ token: UInt64) -> Entry? {
        state.withLock { state in
            let entry = state.entries.removeValue(forKey: token)
            if entry != nil { state.inFlight += 1 }
            return entry
        }
    }

    /// The result of a taken entry is done (acknowledged or abandoned).
    func finished() {
        state.withLock { $0.inFlight -= 1 }
    }

    /// Forgets the entries of a connection that died: their deliveries can no longer be
    /// acknowledged, and the broker delivers them again.
    func removeAll(where predicate: (Entry) -> Bool) {
        state.withLock { state in
            state.entries = state.entries.filter { !predicate($0.value) }
        }
    }

    var pendingCount: Int { state.withLock { $0.entries.count } }
    var inFlightCount: Int { state.withLock { $0.inFlight } }
}
