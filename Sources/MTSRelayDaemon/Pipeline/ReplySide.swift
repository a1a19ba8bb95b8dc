import AMQPClient
import Logging
import MTSCorrelation
import MTSProtocol
import ServiceLifecycle

/// Consumes the MTS reply queues and hands every reply to the engine, valid or not; the
/// result loop acknowledges each delivery once its record is in every sink. Each queue's
/// consumer reports its watermark with every batch and on every idle tick (``QueueProgress``);
/// a queue that is disconnected reports nothing and keeps its last watermark.
///
/// On graceful shutdown it stops consuming, waits (bounded) until the results already under
/// way are acknowledged, then closes its connection: deliveries still held (e.g. in their
/// unmatched grace) go back to the queue and come again after the restart.
struct ReplySide: Service {
    let configuration: RelayConfiguration
    let connection: AMQPConnectionConfiguration
    let engine: CorrelationEngine
    let registry: DeliveryRegistry
    let metrics: RelayMetrics
    let logger: Logger
    let readiness: Readiness
    let watchdog: ConsumeLoopWatchdog

    func run() async throws {
        let reconnecting = ReconnectingConnection.consumeLoop(
            .replies, configuration: connection, watchdog: watchdog, metrics: metrics, logger: logger)
        try await reconnecting.run { connection in try await session(on: connection) }
    }

    private func session(on connection: AMQPConnection) async throws {
        let queues = configuration.replies.queues
        try await RelayTopology(
            intakeQueue: nil, replyQueues: queues, deadLetterExchange: configuration.deadLetter.exchange,
            deadLetterQueue: configuration.deadLetter.queue
        ).declare(on: connection, logger: logger)
        let deadLetter = DeadLetterPublisher(
            channel: try await connection.openChannel(publisherConfirms: true),
            exchange: configuration.deadLetter.exchange)

        let channel = try await connection.openChannel()
        let prefetch = configuration.replies.prefetch
        try await channel.setPrefetch(UInt16(prefetch))
        let connectionID = ObjectIdentifier(connection)
        defer {
            // Deliveries of this connection can no longer be acknowledged; the broker has them.
            registry.removeAll { $0.connectionID == connectionID }
        }

        var started: [(String, AMQPConsumer)] = []
        for queue in queues {
            let consumer = try await channel.consume(queue: queue)
            consumer.setPrefetch(prefetch)
            started.append((queue, consumer))
        }
        let consumers = started
        logger.info("Consuming replies", metadata: ["queues": "\(queues.joined(separator: ","))"])
        readiness.markReady(.replies)

        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (queue, consumer) in consumers {
                        group.addTask {
                            try await consume(
                                consumer, queue: queue, deadLetter: deadLetter, connectionID: connectionID)
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            await drain()
            return
        }
        throw AMQPError(code: .connectionClosed, reason: "a reply consumer ended")
    }

    private func consume(
        _ consumer: AMQPConsumer, queue: String, deadLetter: DeadLetterPublisher,
        connectionID: ObjectIdentifier
    ) async throws {
        let limit = configuration.replies.maxMessageBytes
        var progress = QueueProgress(transitAllowanceMs: configuration.replies.transitAllowanceMs)
        while true {
            watchdog.beat(.replies)
            guard let batch = try await consumer.nextBatch(max: 256, timeout: QueueProgress.tick) else {
                return
            }
            if batch.isEmpty {
                if let watermark = try await progress.idleWatermark(of: consumer, queue: queue) {
                    await engine.advanceWatermark(.replies, queue: queue, to: watermark)
                }
                continue
            }
            metrics.recordConsumed(queue: queue, count: batch.count)
            let readAt = Timestamp.nowMilliseconds()
            let messages = batch.map {
                incoming($0, queue: queue, limit: limit, deadLetter: deadLetter, connectionID: connectionID)
            }
            for case .wellFormed(let reply) in messages {
                progress.read(timestamp: reply.timestampUtc, now: readAt)
            }
            // One actor turn for the whole batch, then the watermark it read up to.
            await engine.receive(
                contentsOf: messages, watermark: progress.highestTimestamp.map { (queue, $0) })
        }
    }

    /// Decodes one reply and registers its delivery; the engine answers on its result stream.
    private func incoming(
        _ delivery: AMQPDelivery, queue: String, limit: Int, deadLetter: DeadLetterPublisher,
        connectionID: ObjectIdentifier
    ) -> IncomingReply {
        var entry = DeliveryRegistry.Entry(
            delivery: delivery, queue: queue, summary: nil, isJSONObject: false, deadLetter: deadLetter,
            connectionID: connectionID)
        if let tooLarge = MessageChecks.sizeViolation(delivery, limit: limit) {
            let token = registry.add(entry)
            return .rejected(
                RejectedMessage(
                    correlationId: delivery.properties.correlationID, body: delivery.body, token: token,
                    redelivered: delivery.redelivered, reason: tooLarge))
        }
        let decoded = MTSReply.decode(delivery.body)
        let summary = decoded.summary
        let (violations, correlationId) = MessageChecks.correlate(
            violations: decoded.violations, bodyCorrelationId: summary.correlationId,
            property: delivery.properties.correlationID)
        entry.summary = summary
        entry.isJSONObject = MessageChecks.isJSONObject(violations)
        let token = registry.add(entry)
        guard violations.isEmpty, let correlationId, let operation = summary.operation,
            let contentType = summary.contentType, let timestamp = summary.timestampUtc
        else {
            return .rejected(
                RejectedMessage(
                    correlationId: correlationId, body: delivery.body, token: token,
                    redelivered: delivery.redelivered,
                    reason: MessageChecks.describe(violations)))
        }
        return .wellFormed(
            CorrelationReply(
                correlationId: correlationId, operation: operation, contentType: contentType,
                timestampUtc: timestamp,
                body: delivery.body, token: token, redelivered: delivery.redelivered))
    }

    /// Waits until no result is being delivered for two checks in a row, at most half the
    /// shutdown bound.
    private func drain() async {
        let deadline = ContinuousClock.now + .seconds(configuration.shutdown.timeoutSeconds) / 2
        var quietChecks = 0
        while quietChecks < 2, ContinuousClock.now < deadline {
            quietChecks = registry.inFlightCount == 0 ? quietChecks + 1 : 0
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}
