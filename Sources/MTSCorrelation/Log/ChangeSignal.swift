import Synchronization

/// Tasks waiting for the next change of some state that another thread updates under its own
/// lock (an event count).
///
/// A waiter takes a ``ticket()`` *before* it looks at the state; when the state does not have
/// what it wants yet, it calls ``wait(since:)`` with that ticket, which returns at once if a
/// ``signal()`` came after the ticket. A change made between the look and the wait is
/// therefore never missed, and the state needs no knowledge of its waiters.
package final class ChangeSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Where the signals are now; pass it to ``wait(since:)``.
    package func ticket() -> UInt64 { state.withLock { $0.generation } }

    /// How many tasks wait now (for tests and diagnostics).
    package var waiting: Int { state.withLock { $0.waiters.count } }

    /// Wakes every waiting task; a task that took its ticket before this call and waits after
    /// it returns at once.
    package func signal() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the first ``signal()`` after `ticket` (at once when one came already), or
    /// when the task is cancelled.
    package func wait(since ticket: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.generation != ticket || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
