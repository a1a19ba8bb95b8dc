import Synchronization

/// The daemon's running totals, shared by its parts (lock-protected; cheap enough for every
/// message).
final class RelayCounters: Sendable {
    struct Snapshot: Sendable {
        var consumed: [String: Int] = [:]
        var results: [String: Int] = [:]
        var unrouted = 0
        var sinkAccepted: [String: Int] = [:]
        var sinkRetried: [String: Int] = [:]
        var reconnects = 0
    }

    private let state = Mutex(Snapshot())

    func recordConsumed(queue: String, count: Int = 1) {
        state.withLock { $0.consumed[queue, default: 0] += count }
    }
    func recordResult(_ outcome: ResultRecord.Outcome) {
        state.withLock { $0.results[outcome.rawValue, default: 0] += 1 }
    }
    func recordUnrouted() { state.withLock { $0.unrouted += 1 } }
    func recordAccepted(sink: String) { state.withLock { $0.sinkAccepted[sink, default: 0] += 1 } }
    func recordRetry(sink: String) { state.withLock { $0.sinkRetried[sink, default: 0] += 1 } }
    func recordReconnect() { state.withLock { $0.reconnects += 1 } }

    var snapshot: Snapshot { state.withLock { $0 } }
}
