import AMQPClient
import Logging
import MTSCorrelation
import MTSProtocol
import ServiceLifecycle

/// The one consume loop of the daemon, a `Service` generic over what it consumes (the intake,
/// the reply queues, the jackpot queue): it connects and reconnects, declares the topology, sets
/// the prefetch, reads batches, classifies them, beats the watchdog, reports the queues'
/// watermarks and drains on shutdown. Where the messages go is ``ConsumedQueues``'s business:
/// what `accept` leaves to finish (the intake's batches waiting for their commit) is settled by
/// a task beside the consumers, so that a consumer reads its next batch meanwhile.
///
/// Watermarks (``QueueProgress``): after each batch, the highest timestamp read from the queue
/// (handed over with the batch); on an idle tick, the clock minus the transit allowance once the
/// consumer is caught up. A disconnected queue reports nothing and keeps its watermark.
///
/// On graceful shutdown it stops consuming, lets ``ConsumedQueues/drain()`` wait for the
/// results under way, then the connection closes: deliveries still held go back to the queue
/// and come again after the restart.
struct ConsumerSession<Queues: ConsumedQueues>: Service {
    let queues: Queues
    let connection: AMQPConnectionConfiguration
    let engine: CorrelationEngine
    let metrics: RelayMetrics
    let logger: Logger
    let readiness: Readiness
    let watchdog: ConsumeLoopWatchdog
    /// Deliveries per message, kept across sessions: a message past the limit is given up.
    let attempts: DeliveryAttempts
    /// Consume each queue exclusively (a member of a group): the broker then never
    /// splits a queue between two relays. A refused consume (the old active still holds the
    /// queue) ends the session, which is tried again on a new connection; meanwhile the queue
    /// reports no watermark, so the takeover causes no false timeout.
    var exclusive = false

    func run() async throws {
        let reconnecting = ReconnectingConnection.consumeLoop(
            queues.loop, configuration: connection, watchdog: watchdog, metrics: metrics, logger: logger)
        try await reconnecting.run { connection in try await session(on: connection) }
    }

    private func session(on connection: AMQPConnection) async throws {
        try await queues.topology.declare(on: connection, logger: logger)
        let context = ConsumerSessionContext(
            deadLetter: DeadLetterPublisher(
                channel: try await connection.openChannel(publisherConfirms: true),
                exchange: queues.topology.deadLetterExchange),
            connectionID: ObjectIdentifier(connection))
        defer { queues.sessionEnded(context) }

        let channel = try await connection.openChannel()
        try await channel.setPrefetch(UInt16(queues.prefetch))
        var consumers: [(queue: String, consumer: AMQPConsumer)] = []
        var backlog = 0
        for queue in queues.queues {
            backlog += Int(try await channel.inspectQueue(queue).messageCount)
            let consumer = try await channel.consume(queue: queue, exclusive: exclusive)
            consumer.setPrefetch(queues.prefetch)
            consumers.append((queue, consumer))
        }
        logger.info(
            "Consuming \(queues.loop.rawValue)",
            metadata: ["queues": "\(queues.queues.joined(separator: ","))", "backlog": "\(backlog)"])
        readiness.markReady(queues.loop)

        // What the consumers accepted and left to finish: settled beside them, so that a
        // consumer reads its next batch while the last one commits. Its queue finishes when
        // they are cancelled; what it holds then is still settled (acknowledged), and a
        // delivery of a closed connection is given back by the broker anyway.
        let unsettled = BatchingQueue<Queues.Unsettled>()
        // Whatever the settling task did not come to (it threw, or the session ended first).
        defer { queues.abandon(unsettled.removeAll()) }
        // A place per consumer for the batch it reads, and one more: one batch settles while the
        // next is read. A consumer waits here, and stops beating the watchdog, while the store
        // does not commit (its window is full then, and idle ticks would beat on regardless).
        let places = AsyncLimiter(limit: queues.queues.count + 1)
        do {
            try await cancelWhenGracefulShutdown { [consumers] in
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for (queue, consumer) in consumers {
                        group.addTask {
                            try await consume(
                                consumer, queue: queue, context: context, unsettled: unsettled, places: places
                            )
                            return true
                        }
                    }
                    group.addTask {
                        try await withTaskCancellationHandler {
                            while let items = await unsettled.next() {
                                try await queues.settle(items)
                                places.release(items.count)
                            }
                        } onCancel: {
                            unsettled.finish()
                        }
                        return false
                    }
                    // Until a consumer ends (its connection closed) or a task throws.
                    while let consumerEnded = try await group.next(), !consumerEnded {}
                    group.cancelAll()
                }
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            await queues.drain()
            return
        }
        throw AMQPError(code: .connectionClosed, reason: "a \(queues.loop.rawValue) consumer ended")
    }

    private func consume(
        _ consumer: AMQPConsumer, queue: String, context: ConsumerSessionContext,
        unsettled: BatchingQueue<Queues.Unsettled>, places: AsyncLimiter
    ) async throws {
        var progress = QueueProgress(transitAllowanceMs: queues.transitAllowanceMs)
        while true {
            // A place for the batch about to be read, given back unless it is left unsettled.
            try await places.acquireUnlessCancelled()
            var placeHeld = true
            defer { if placeHeld { places.release() } }
            watchdog.beat(queues.loop)
            guard let batch = try await consumer.nextBatch(max: queues.prefetch, timeout: QueueProgress.tick)
            else { return }
            guard !batch.isEmpty else {
                if let watermark = try await progress.idleWatermark(of: consumer, queue: queue) {
                    await engine.advanceWatermark(queues.watermarkSource, queue: queue, to: watermark)
                }
                continue
            }
            progress.readBatch()
            metrics.recordConsumed(queue: queue, count: batch.count)
            metrics.recordBatch(.consumed, size: batch.count)
            let readAt = Timestamp.nowMilliseconds()
            let classified = batch.map { delivery in
                ClassifiedDelivery(
                    delivery: delivery,
                    message: attempts.check(delivery, queues.classify(delivery), queue: queue))
            }
            for case let timestamp? in classified.lazy.map(\.message.validTimestamp) {
                progress.read(timestamp: timestamp, now: readAt)
            }
            if let left = try await queues.accept(
                classified, from: queue, watermark: progress.highestTimestamp, session: context)
            {
                placeHeld = false
                unsettled.append(contentsOf: [left])
            }
        }
    }
}
