/// The confirms of one batch of publishes: collects what the broker said about each message
/// and calls the batch's completion once every message is settled.
///
/// Used only on the connection's own thread (it is registered with ``ConnectionIO`` and settled
/// there), so it needs no lock.
final class PublishBatchWaiter {
    typealias Completion = @Sendable (Result<[AMQPPublishConfirmation], AMQPError>) -> Void

    private var confirmations: [AMQPPublishConfirmation]
    private var remaining: Int
    private var failure: AMQPError?
    private let completion: Completion

    /// A waiter for `count` messages; `completion` runs on the connection's thread.
    init(count: Int, completion: @escaping Completion) {
        confirmations = Array(repeating: .unconfirmed, count: count)
        remaining = count
        self.completion = completion
        if count == 0 { completion(.success([])) }
    }

    /// Settles the message at `position` (each position exactly once). The batch fails with the
    /// first error of any of its messages, once all of them are settled.
    func settle(_ position: Int, with result: Result<AMQPPublishConfirmation, AMQPError>) {
        switch result {
        case .success(let confirmation): confirmations[position] = confirmation
        case .failure(let error): if failure == nil { failure = error }
        }
        remaining -= 1
        guard remaining == 0 else { return }
        if let failure {
            completion(.failure(failure))
        } else {
            completion(.success(confirmations))
        }
    }

    /// Settles the messages from `position` on, which were never written, with `error`.
    func fail(from position: Int, with error: AMQPError) {
        for index in position..<confirmations.count { settle(index, with: .failure(error)) }
    }
}
