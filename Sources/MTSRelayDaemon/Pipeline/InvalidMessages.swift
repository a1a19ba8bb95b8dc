import AMQPClient
import Logging

/// What a queue does with the messages it cannot take, the intake's and an active upstream's
/// alike: each is republished to the dead-letter exchange with its reason, its `invalid`
/// record is appended to the log of results, and only once that commits is it
/// acknowledged. All of a batch's at once.
struct InvalidMessages: Sendable {
    /// One refused message and its record.
    struct Message: Sendable {
        var delivery: AMQPDelivery
        var reason: String
        /// Why, for the dead-letter counter.
        var kind: RelayMetrics.DeadLetterReason
        var record: ResultRecord
    }

    /// Writes the records into the queue's engine's log.
    let appender: ResultAppender
    let metrics: RelayMetrics
    let logger: Logger

    /// Dead-letters `messages` of `queue` concurrently, appends the records of those that were
    /// in one transaction, and acknowledges them once it commits; returns whether every one was
    /// acknowledged. One that fails stays unacknowledged (it comes back once its channel
    /// closes); the others go on.
    func settle(_ messages: [Message], queue: String, deadLetter: DeadLetterPublisher) async -> Bool {
        guard !messages.isEmpty else { return true }
        let published = await withTaskGroup(of: Message?.self) { group in
            for message in messages {
                group.addTask {
                    do {
                        try await deadLetter.publish(message.delivery, queue: queue, reason: message.reason)
                        return message
                    } catch {
                        logger.error(
                            "Could not dead-letter an invalid message; it stays in the queue",
                            metadata: ["queue": "\(queue)", "error": "\(error)"])
                        return nil
                    }
                }
            }
            var published: [Message] = []
            for await message in group { if let message { published.append(message) } }
            return published
        }
        guard !published.isEmpty else { return false }
        do {
            try await appender.appendDurably(published.map(\.record))
        } catch {
            logger.error(
                "Could not record invalid messages; they stay in the queue",
                metadata: ["queue": "\(queue)", "messages": "\(published.count)", "error": "\(error)"])
            return false
        }
        for message in published {
            message.delivery.ack()
            metrics.recordDeadLettered(message.kind)
        }
        return published.count == messages.count
    }
}
