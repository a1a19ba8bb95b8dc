import DequeModule
import Synchronization

/// The newest entries of a log, kept in memory so that sinks keeping up never read the
/// database, with the readers waiting for more.
///
/// The writer thread appends each committed batch (in order) and wakes the waiters. A reader
/// whose cursor is older than what the tail covers reads the store instead (``ResultLog``).
final class ResultLogTail: Sendable {
    enum Read {
        /// Entries after the cursor, oldest first (at least one).
        case entries([ResultLogEntry])
        /// The tail no longer holds the entry after the cursor: read the store.
        case behind
        /// Nothing after the cursor yet.
        case caughtUp
    }

    private struct State {
        var entries: Deque<ResultLogEntry> = []
        /// Every entry after this position is in `entries` (or was trimmed past it).
        var coveredFrom: Int64
        var lastSeq: Int64
        var bytes = 0
    }

    /// The most record bytes kept; older entries are read from the store.
    let byteLimit: Int
    private let state: Mutex<State>
    /// Signalled at every append, and by ``wakeAll()``.
    private let changes = ChangeSignal()

    init(lastSeq: Int64, byteLimit: Int = 4 << 20) {
        self.byteLimit = byteLimit
        state = Mutex(State(coveredFrom: lastSeq, lastSeq: lastSeq))
    }

    var lastSeq: Int64 { state.withLock { $0.lastSeq } }

    /// Adds committed entries (increasing positions, after every one before) and wakes the readers.
    func append(_ entries: [ResultLogEntry]) {
        guard !entries.isEmpty else { return }
        state.withLock { state in
            for entry in entries {
                state.entries.append(entry)
                state.bytes += entry.json.count
                state.lastSeq = entry.seq
            }
            while state.bytes > byteLimit, state.entries.count > 1, let first = state.entries.popFirst() {
                state.bytes -= first.json.count
                state.coveredFrom = first.seq
            }
        }
        changes.signal()
    }

    /// Up to `max` entries after `seq`.
    func read(after seq: Int64, max: Int) -> Read {
        state.withLock { state in
            guard seq >= state.coveredFrom else { return .behind }
            guard seq < state.lastSeq else { return .caughtUp }
            var found: [ResultLogEntry] = []
            // Positions increase: find the first after `seq` by binary search.
            var low = 0
            var high = state.entries.count
            while low < high {
                let middle = (low + high) / 2
                if state.entries[middle].seq <= seq { low = middle + 1 } else { high = middle }
            }
            var index = low
            while index < state.entries.count, found.count < max {
                found.append(state.entries[index])
                index += 1
            }
            return found.isEmpty ? .caughtUp : .entries(found)
        }
    }

    /// Returns once an entry after `seq` is appended, ``wakeAll()`` is called, or the task is
    /// cancelled; at once when there already is one.
    func wait(after seq: Int64) async {
        let ticket = changes.ticket()
        guard lastSeq <= seq else { return }
        await changes.wait(since: ticket)
    }

    /// Wakes every waiting reader (so each can look for a replay request).
    func wakeAll() {
        changes.signal()
    }
}
