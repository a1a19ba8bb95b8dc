import AMQPClient
import Logging

/// What a queue does with the messages it cannot take, the intake's and an active upstream's
/// alike: each is republished to the dead-letter exchange with its reason, its `invalid`
/// record goes to the sinks, and only then is it acknowledged. All of a batch's at once.
struct InvalidMessages: Sendable {
    /// One refused message and its record.
    struct Message: Sendable {
        var delivery: AMQPDelivery
        var reason: String
        /// Why, for the dead-letter counter.
        var kind: RelayMetrics.DeadLetterReason
        var record: ResultRecord
    }

    let dispatcher: ResultDispatcher
    let metrics: RelayMetrics
    let logger: Logger

    /// Settles `messages` of `queue` concurrently; returns whether every one was acknowledged.
    /// One that fails stays unacknowledged (it comes back once its channel closes); the others
    /// go on.
    func settle(_ messages: [Message], queue: String, deadLetter: DeadLetterPublisher) async -> Bool {
        guard !messages.isEmpty else { return true }
        return await withTaskGroup(of: Bool.self) { group in
            for message in messages {
                group.addTask { await settle(message, queue: queue, deadLetter: deadLetter) }
            }
            return await group.allSatisfy { $0 }
        }
    }

    private func settle(_ message: Message, queue: String, deadLetter: DeadLetterPublisher) async -> Bool {
        do {
            try await deadLetter.publish(message.delivery, queue: queue, reason: message.reason)
            try await dispatcher.dispatch(message.record)
            message.delivery.ack()
            metrics.recordDeadLettered(message.kind)
            return true
        } catch {
            logger.error(
                "Could not dead-letter an invalid message; it stays in the queue",
                metadata: ["queue": "\(queue)", "error": "\(error)"])
            return false
        }
    }
}
