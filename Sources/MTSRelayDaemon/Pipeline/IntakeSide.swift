import AMQPClient
import Logging
import MTSCorrelation
import MTSProtocol
import ServiceLifecycle

/// Consumes the intake queue (the requests the platform sent to MTS) and registers each
/// request in the engine; a message is acknowledged once its registration is durable.
///
/// Invalid requests are republished to the dead-letter exchange with their reason, get an
/// `invalid` record, and only then are acknowledged. While the intake has a backlog (at
/// start, or after losing its connection) the engine holds unknown replies instead of
/// declaring them unmatched.
struct IntakeSide: Service {
    let configuration: RelayConfiguration
    let connection: AMQPConnectionConfiguration
    let engine: CorrelationEngine
    let dispatcher: ResultDispatcher
    let metrics: RelayMetrics
    let logger: Logger
    let readiness: Readiness
    let watchdog: ConsumeLoopWatchdog

    func run() async throws {
        let reconnecting = ReconnectingConnection.consumeLoop(
            .intake, configuration: connection, watchdog: watchdog, metrics: metrics, logger: logger)
        try await reconnecting.run { connection in
            do {
                try await session(on: connection)
            } catch {
                // Requests may pile up until the next session has read them.
                await engine.intakeFellBehind()
                throw error
            }
        }
    }

    private func session(on connection: AMQPConnection) async throws {
        let queue = configuration.intake.queue
        try await RelayTopology(
            intakeQueue: queue, replyQueues: [], deadLetterExchange: configuration.deadLetter.exchange,
            deadLetterQueue: configuration.deadLetter.queue
        ).declare(on: connection, logger: logger)
        let deadLetter = DeadLetterPublisher(
            channel: try await connection.openChannel(publisherConfirms: true),
            exchange: configuration.deadLetter.exchange)
        let channel = try await connection.openChannel()
        let backlog = Int(try await channel.inspectQueue(queue).messageCount)
        let tracker = BacklogTracker(remaining: backlog)
        if backlog == 0 { await engine.intakeCaughtUp() } else { await engine.intakeFellBehind() }
        try await channel.setPrefetch(UInt16(configuration.intake.prefetch))
        let consumer = try await channel.consume(queue: queue)
        logger.info("Consuming intake", metadata: ["queue": "\(queue)", "backlog": "\(backlog)"])
        readiness.markReady(.intake)

        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    watchdog.beat(.intake)
                    guard
                        let batch = try await consumer.nextBatch(
                            max: configuration.intake.prefetch, timeout: ConsumeLoopWatchdog.idleTick)
                    else { break }
                    if batch.isEmpty { continue }
                    metrics.recordConsumed(queue: queue, count: batch.count)
                    metrics.intakeInFlight(batch.count)
                    defer { metrics.intakeInFlight(-batch.count) }
                    await register(batch, queue: queue, deadLetter: deadLetter)
                    if tracker.consumed(batch.count) {
                        logger.info("Intake caught up with its backlog", metadata: ["queue": "\(queue)"])
                        await engine.intakeCaughtUp()
                    }
                }
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
        throw AMQPError(code: .connectionClosed, reason: "the intake consumer ended")
    }

    /// Registers a batch's valid requests in one engine call (one store transaction) and acks
    /// them once durable; invalid ones are dead-lettered, concurrently.
    private func register(_ batch: [AMQPDelivery], queue: String, deadLetter: DeadLetterPublisher) async {
        var valid: [(delivery: AMQPDelivery, summary: MTSRequestSummary)] = []
        var requests: [CorrelationRequest] = []
        var rejected:
            [(delivery: AMQPDelivery, reason: String, summary: MTSRequestSummary?, isJSONObject: Bool)] = []
        for delivery in batch {
            if let tooLarge = MessageChecks.sizeViolation(
                delivery, limit: configuration.replies.maxMessageBytes)
            {
                rejected.append((delivery, tooLarge, nil, false))
                continue
            }
            let decoded = MTSRequest.decode(delivery.body)
            let summary = decoded.summary
            let (violations, correlationId) = MessageChecks.correlate(
                violations: decoded.violations, bodyCorrelationId: summary.correlationId,
                property: delivery.properties.correlationID)
            guard violations.isEmpty, let correlationId, let operation = summary.operation,
                let contentType = summary.contentType, let timestamp = summary.timestampUtc
            else {
                rejected.append(
                    (
                        delivery, MessageChecks.describe(violations), summary,
                        MessageChecks.isJSONObject(violations)
                    ))
                continue
            }
            valid.append((delivery, summary))
            requests.append(
                CorrelationRequest(
                    correlationId: correlationId, operation: operation, contentType: contentType,
                    timestampUtc: timestamp, ticketId: summary.ticketId, body: delivery.body))
        }
        if !requests.isEmpty {
            do {
                let outcomes = try await engine.register(contentsOf: requests)
                for (index, outcome) in outcomes.enumerated() {
                    switch outcome {
                    case .success:
                        valid[index].delivery.ack()
                    case .failure(let error):
                        rejected.append((valid[index].delivery, "\(error)", valid[index].summary, true))
                    }
                }
            } catch let error as CorrelationError {
                // Not the messages' fault: leave them unacknowledged; they come back.
                logger.critical("Cannot register requests", metadata: ["error": "\(error)"])
            } catch {
                // Cancelled while waiting for capacity: unacknowledged, delivered again later.
            }
        }
        guard !rejected.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for message in rejected {
                group.addTask {
                    await reject(
                        message.delivery, queue: queue, reason: message.reason, summary: message.summary,
                        isJSONObject: message.isJSONObject, deadLetter: deadLetter)
                }
            }
        }
    }

    private func reject(
        _ delivery: AMQPDelivery, queue: String, reason: String, summary: MTSRequestSummary?,
        isJSONObject: Bool,
        deadLetter: DeadLetterPublisher
    ) async {
        do {
            try await deadLetter.publish(delivery, queue: queue, reason: reason)
            let record = RecordBuilder.invalidRequest(
                body: delivery.body, isJSONObject: isJSONObject, summary: summary,
                correlationId: delivery.properties.correlationID, queue: queue,
                redelivered: delivery.redelivered,
                reason: reason, now: Timestamp.nowMilliseconds())
            try await dispatcher.dispatch(record)
            delivery.ack()
        } catch {
            logger.error(
                "Could not dead-letter an invalid request; it stays in the queue",
                metadata: ["queue": "\(queue)", "error": "\(error)"])
        }
    }
}
