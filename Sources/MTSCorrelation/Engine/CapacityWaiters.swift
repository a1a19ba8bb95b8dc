import Synchronization

/// Registrations suspended because the pending table is full, in arrival order.
///
/// A class with a lock (not actor state) because cancellation handlers run outside the actor.
/// Kept hand-made: FIFO waiters that a cancellation handler can remove one by one are not in
/// swift-async-algorithms or SwiftNIO (a missing feature); the engine's capacity tests cover it.
final class CapacityWaiters: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private let waiters = Mutex<[Waiter]>([])

    var count: Int { waiters.withLock { $0.count } }

    /// Adds a waiter, or resumes it with `CancellationError` at once if its task is cancelled.
    func add(id: UInt64, _ continuation: CheckedContinuation<Void, any Error>) {
        let cancelled = waiters.withLock { waiters -> Bool in
            if Task.isCancelled { return true }
            waiters.append(Waiter(id: id, continuation: continuation))
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
    }

    /// Resumes waiter `id` with `CancellationError`, if it still waits.
    func cancel(id: UInt64) {
        let waiter = waiters.withLock { waiters -> Waiter? in
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: CancellationError())
    }

    /// Resumes the `count` longest-waiting registrations; each checks capacity again.
    func resume(upTo count: Int) {
        guard count > 0 else { return }
        let woken = waiters.withLock { waiters -> [Waiter] in
            let taken = Array(waiters.prefix(count))
            waiters.removeFirst(taken.count)
            return taken
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Resumes every waiter with `error`.
    func failAll(_ error: any Error) {
        let all = waiters.withLock { waiters -> [Waiter] in
            defer { waiters = [] }
            return waiters
        }
        for waiter in all { waiter.continuation.resume(throwing: error) }
    }
}
