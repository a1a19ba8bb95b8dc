import Synchronization

/// Waits for every sink a batch of records went to, and says once whether all accepted it.
///
/// Each lane completes once (a later word from the same lane is ignored); the first refusal
/// is the batch's error. `settled` runs exactly once, outside the lock.
final class BatchSettlement: Sendable {
    private struct State {
        var remaining: Set<Int>
        var error: (any Error)?
        var done = false
    }

    private let state: Mutex<State>
    private let settled: @Sendable ((any Error)?) -> Void

    /// - Parameters:
    ///   - lanes: the indices of the lanes the batch went to (not empty).
    ///   - settled: told nil once every lane accepted, or the first error once all answered.
    init(lanes: Set<Int>, settled: @escaping @Sendable ((any Error)?) -> Void) {
        precondition(!lanes.isEmpty, "a batch for no sink is settled by its sender")
        state = Mutex(State(remaining: lanes))
        self.settled = settled
    }

    /// Lane `lane` accepted the batch (`error` nil) or could not.
    func complete(lane: Int, error: (any Error)?) {
        let outcome: (any Error)?? = state.withLock { state in
            guard !state.done, state.remaining.remove(lane) != nil else { return .none }
            if state.error == nil { state.error = error }
            guard state.remaining.isEmpty else { return .none }
            state.done = true
            return .some(state.error)
        }
        if case .some(let error) = outcome { settled(error) }
    }
}
