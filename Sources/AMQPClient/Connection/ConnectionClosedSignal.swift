import Synchronization

/// Lets any number of tasks wait for a connection's end and learn why it ended.
///
/// Kept hand-made: a one-shot broadcast to any number of waiters is not in the standard
/// library or swift-async-algorithms, and this module does not depend on SwiftNIO (whose
/// promise would serve). Tested in `ConnectionClosedSignalTests`.
final class ConnectionClosedSignal: Sendable {
    private enum State {
        case open(waiters: [UInt64: CheckedContinuation<AMQPError?, Never>], nextID: UInt64)
        case closed(AMQPError?)
    }

    private let state = Mutex(State.open(waiters: [:], nextID: 0))

    var isClosed: Bool {
        state.withLock { if case .closed = $0 { true } else { false } }
    }

    /// How many tasks wait for the end (tests wait on it instead of sleeping).
    var waiterCount: Int {
        state.withLock { if case .open(let waiters, _) = $0 { waiters.count } else { 0 } }
    }

    /// Records the end (`nil`: closed by the application) and wakes every waiter.
    func close(with error: AMQPError?) {
        let waiters: [CheckedContinuation<AMQPError?, Never>] = state.withLock { state in
            guard case .open(let waiters, _) = state else { return [] }
            state = .closed(error)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: error) }
    }

    /// Waits for the end; returns early (with nil) when the waiting task is cancelled.
    func wait() async -> AMQPError? {
        let id: UInt64? = state.withLock { state in
            guard case .open(let waiters, let nextID) = state else { return nil }
            state = .open(waiters: waiters, nextID: nextID + 1)
            return nextID
        }
        guard let id else {
            return state.withLock { if case .closed(let error) = $0 { error } else { nil } }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let result: AMQPError?? = state.withLock { state in
                    switch state {
                    case .open(var waiters, let nextID):
                        if Task.isCancelled { return .some(nil) }
                        waiters[id] = continuation
                        state = .open(waiters: waiters, nextID: nextID)
                        return .none
                    case .closed(let error):
                        return .some(error)
                    }
                }
                if case .some(let error) = result { continuation.resume(returning: error) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<AMQPError?, Never>? = state.withLock { state in
                guard case .open(var waiters, let nextID) = state else { return nil }
                let waiter = waiters.removeValue(forKey: id)
                state = .open(waiters: waiters, nextID: nextID)
                return waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
