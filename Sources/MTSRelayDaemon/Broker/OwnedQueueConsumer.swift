import AMQPClient
import Logging

/// A consumer on a queue the daemon owns and declares (the intake, an active upstream's queue),
/// with the dead-letter publisher its invalid messages go to. One copy of the set-up both
/// sessions need: topology declared, a confirming dead-letter channel, the prefetch set on the
/// channel and told to the consumer (for its ``AMQPConsumer/flow``).
struct OwnedQueueConsumer {
    let consumer: AMQPConsumer
    let deadLetter: DeadLetterPublisher
    /// The ready messages in the queue when consuming began (for the log).
    let backlog: Int

    static func open(
        queue: String, prefetch: Int, deadLetter: RelayConfiguration.DeadLetter,
        on connection: AMQPConnection,
        logger: Logger
    ) async throws -> OwnedQueueConsumer {
        try await RelayTopology(
            intakeQueue: queue, replyQueues: [], deadLetterExchange: deadLetter.exchange,
            deadLetterQueue: deadLetter.queue
        ).declare(on: connection, logger: logger)
        let publisher = DeadLetterPublisher(
            channel: try await connection.openChannel(publisherConfirms: true), exchange: deadLetter.exchange)
        let channel = try await connection.openChannel()
        let backlog = Int(try await channel.inspectQueue(queue).messageCount)
        try await channel.setPrefetch(UInt16(prefetch))
        let consumer = try await channel.consume(queue: queue)
        consumer.setPrefetch(prefetch)
        return OwnedQueueConsumer(consumer: consumer, deadLetter: publisher, backlog: backlog)
    }
}
