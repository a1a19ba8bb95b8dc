import DequeModule
import Synchronization

/// Lets at most `limit` tasks through at a time; the others wait in arrival order.
///
/// Kept hand-made: neither swift-async-algorithms nor SwiftNIO has an async semaphore (a
/// missing feature). Tested in `AsyncPrimitiveTests`.
final class AsyncLimiter: Sendable {
    private struct State {
        var available: Int
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(available: limit))
    }

    /// Waits for a place. A waiter gets its place when a holder releases one, whatever its
    /// own task's cancellation: holders always finish.
    func acquire() async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.available += 1
            return nil
        }
        waiter?.resume()
    }
}
