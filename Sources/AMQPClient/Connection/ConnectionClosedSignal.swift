import Synchronization

/// Lets any number of tasks wait for a connection's end and learn why it ended.
final class ConnectionClosedSignal: Sendable {
    private enum State {
        case open([CheckedContinuation<AMQPError?, Never>])
        case closed(AMQPError?)
    }

    private let state = Mutex(State.open([]))

    var isClosed: Bool {
        state.withLock { if case .closed = $0 { true } else { false } }
    }

    /// Records the end (`nil`: closed by the application) and wakes every waiter.
    func close(with error: AMQPError?) {
        let waiters: [CheckedContinuation<AMQPError?, Never>] = state.withLock { state in
            guard case .open(let waiters) = state else { return [] }
            state = .closed(error)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: error) }
    }

    func wait() async -> AMQPError? {
        await withCheckedContinuation { continuation in
            let result: AMQPError?? = state.withLock { state in
                switch state {
                case .open(var waiters):
                    waiters.append(continuation)
                    state = .open(waiters)
                    return .none
                case .closed(let error):
                    return .some(error)
                }
            }
            if case .some(let error) = result { continuation.resume(returning: error) }
        }
    }
}
