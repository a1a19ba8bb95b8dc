import DequeModule
import Synchronization

/// Lets at most `limit` tasks through at a time; the others wait in arrival order.
///
/// Kept hand-made: neither swift-async-algorithms nor SwiftNIO has an async semaphore (a
/// missing feature). Tested in `AsyncPrimitiveTests`.
final class AsyncLimiter: Sendable {
    private struct Waiter {
        var id: UInt64
        /// Resumed with true when given a place, false when its wait was cancelled.
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var available: Int
        var waiters: Deque<Waiter> = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    init(limit: Int) {
        state = Mutex(State(available: limit))
    }

    /// Waits for a place. A waiter gets its place when a holder releases one, whatever its
    /// own task's cancellation: holders always finish.
    func acquire() async {
        _ = await wait(id: nextID(), cancellable: false)
    }

    /// Waits for a place; a task cancelled while it waits leaves the line at once and gets
    /// `CancellationError` (a place it was already given is kept: then it returns).
    func acquireUnlessCancelled() async throws {
        let id = nextID()
        let granted = await withTaskCancellationHandler {
            await wait(id: id, cancellable: true)
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(returning: false)
        }
        if !granted { throw CancellationError() }
    }

    /// How many tasks wait for a place (for tests that must know a waiter is queued).
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Takes up to `count` places that are free now, without waiting; returns how many.
    func tryAcquire(upTo count: Int) -> Int {
        state.withLock { state in
            let taken = min(count, state.available)
            state.available -= taken
            return taken
        }
    }

    /// Gives `count` places back.
    func release(_ count: Int) {
        for _ in 0..<count { release() }
    }

    func release() {
        let waiter: Waiter? = state.withLock { state in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.available += 1
            return nil
        }
        waiter?.continuation.resume(returning: true)
    }

    private func nextID() -> UInt64 {
        state.withLock { state in
            defer { state.nextID &+= 1 }
            return state.nextID
        }
    }

    /// Resumes with true once given a place; with false when `cancellable` and the task is
    /// cancelled (checked under the lock, so a cancellation either finds the waiter queued or
    /// is seen here).
    private func wait(id: UInt64, cancellable: Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state -> Bool? in
                if state.available > 0 {
                    state.available -= 1
                    return true
                }
                if cancellable, Task.isCancelled { return false }
                state.waiters.append(Waiter(id: id, continuation: continuation))
                return nil
            }
            if let granted { continuation.resume(returning: granted) }
        }
    }
}
