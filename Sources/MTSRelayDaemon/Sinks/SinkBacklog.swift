import MTSCorrelation
import Synchronization

/// How far the term's *required* sinks are behind their log, and the wait of the result loop
/// while one of them is more than its `maxBacklog` behind: consumption pauses (replies stay
/// unacknowledged, bounded by the prefetch) until the sink catches up. Nothing is lost; the
/// broker keeps the rest.
final class SinkBacklog: Sendable {
    private struct State {
        /// Each required sink's cursor and bound, by log and sink.
        var cursors: [String: (seq: Int64, maxBacklog: Int64)] = [:]
    }

    private let state = Mutex(State())
    /// Signalled at every cursor update.
    private let changes = ChangeSignal()
    /// The newest position of the log the required sinks read.
    private let lastSeq: @Sendable () -> Int64

    init(lastSeq: @escaping @Sendable () -> Int64) {
        self.lastSeq = lastSeq
    }

    /// A required sink's reader reports where it is.
    func update(sink: String, seq: Int64, maxBacklog: Int) {
        state.withLock { $0.cursors[sink] = (seq, Int64(maxBacklog)) }
        changes.signal()
    }

    /// The sinks more than their `maxBacklog` behind.
    func sinksBehind() -> [String] {
        let last = lastSeq()
        return state.withLock { state in
            state.cursors.filter { last - $0.value.seq > $0.value.maxBacklog }.map(\.key).sorted()
        }
    }

    /// Returns true once no required sink is more than its `maxBacklog` behind (at once,
    /// usually); false when the task is cancelled.
    func waitWhileRequiredSinkBehind() async -> Bool {
        while !Task.isCancelled {
            let ticket = changes.ticket()
            guard !sinksBehind().isEmpty else { return true }
            await changes.wait(since: ticket)
        }
        return false
    }
}
