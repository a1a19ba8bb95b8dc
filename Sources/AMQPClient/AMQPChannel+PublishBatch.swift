extension AMQPChannel {
    /// Publishes `messages` in order, all in one turn of the connection's thread (one hand-over
    /// instead of one per message), and calls `completion` once the broker confirmed every one
    /// of them (on a channel opened with publisher confirms; otherwise once they are written),
    /// with their confirmations in the messages' order. It fails with the first error when the
    /// channel or connection ends before every message is confirmed.
    ///
    /// Returns at once: batches submitted one after another from one task go out in that order.
    /// `completion` runs on the connection's thread and must not block (hand the result on, e.g.
    /// into an `AsyncStream`).
    public func publish(
        contentsOf messages: [AMQPOutgoingMessage],
        completion: @escaping @Sendable (Result<[AMQPPublishConfirmation], AMQPError>) -> Void
    ) {
        let (number, generation) = (number, generation)
        connection.inbox.submit(
            ConnectionCommand(
                run: { io in
                    io.publishBatch(
                        number, generation, messages: messages,
                        batch: PublishBatchWaiter(count: messages.count, completion: completion))
                },
                fail: { completion(.failure($0)) }))
    }

    /// Publishes `messages` in order in one turn of the connection's thread and waits for every
    /// confirm; returns the confirmations in the messages' order. Throws when the channel or
    /// connection ends before every message is confirmed.
    public func publish(contentsOf messages: [AMQPOutgoingMessage]) async throws -> [AMQPPublishConfirmation]
    {
        try await withCheckedThrowingContinuation { continuation in
            publish(contentsOf: messages) { continuation.resume(with: $0.mapError { $0 }) }
        }
    }
}
