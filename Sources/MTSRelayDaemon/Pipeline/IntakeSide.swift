import AMQPClient
import Logging
import MTSCorrelation
import MTSProtocol
import ServiceLifecycle

/// Consumes the intake queue (the requests the platform sent to MTS) and registers each
/// request in the engine; a message is acknowledged once its registration is durable.
///
/// Invalid requests are republished to the dead-letter exchange with their reason, get an
/// `invalid` record, and only then are acknowledged. The consumer reports the intake's
/// watermark after every batch and on every idle tick (``QueueProgress``): unknown replies
/// become `unmatched` only once it has passed their timestamp plus the unmatched grace.
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
        // While disconnected the intake's watermark stays where it was.
        try await reconnecting.run { connection in try await session(on: connection) }
    }

    private func session(on connection: AMQPConnection) async throws {
        let queue = configuration.intake.queue
        let opened = try await OwnedQueueConsumer.open(
            queue: queue, prefetch: configuration.intake.prefetch, deadLetter: configuration.deadLetter,
            on: connection, logger: logger)
        let (consumer, deadLetter, backlog) = (opened.consumer, opened.deadLetter, opened.backlog)
        logger.info("Consuming intake", metadata: ["queue": "\(queue)", "backlog": "\(backlog)"])
        readiness.markReady(.intake)

        do {
            try await cancelWhenGracefulShutdown {
                var progress = QueueProgress(transitAllowanceMs: configuration.intake.transitAllowanceMs)
                while true {
                    watchdog.beat(.intake)
                    guard
                        let batch = try await consumer.nextBatch(
                            max: configuration.intake.prefetch, timeout: QueueProgress.tick)
                    else { break }
                    if !batch.isEmpty {
                        metrics.recordConsumed(queue: queue, count: batch.count)
                        metrics.intakeInFlight(batch.count)
                        let readAt = Timestamp.nowMilliseconds()
                        let outcome = await register(batch, queue: queue, deadLetter: deadLetter)
                        metrics.intakeInFlight(-batch.count)
                        for timestamp in outcome.registered {
                            progress.read(timestamp: timestamp, now: readAt)
                        }
                        guard outcome.allSettled else {
                            // The broker hands unacknowledged messages back only when their
                            // channel closes; until then they would hold the watermark's truth.
                            throw AMQPError(
                                code: .connectionClosed,
                                reason:
                                    "intake messages could not be registered or dead-lettered; reconnecting so that the broker delivers them again"
                            )
                        }
                    }
                    // After the batch is registered: the watermark says it has been read.
                    let watermark =
                        batch.isEmpty
                        ? try await progress.idleWatermark(of: consumer, queue: queue)
                        : progress.highestTimestamp
                    if let watermark { await engine.advanceWatermark(.intake, queue: queue, to: watermark) }
                }
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
        throw AMQPError(code: .connectionClosed, reason: "the intake consumer ended")
    }

    /// Registers a batch's valid requests in one engine call (one store transaction) and acks
    /// them once durable; invalid ones are dead-lettered, concurrently. Returns the timestamps
    /// of the requests registered, and whether every message of the batch was acknowledged.
    private func register(
        _ batch: [AMQPDelivery], queue: String, deadLetter: DeadLetterPublisher
    ) async -> (registered: [Int64], allSettled: Bool) {
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
        var registered: [Int64] = []
        var allSettled = true
        if !requests.isEmpty {
            do {
                let outcomes = try await engine.register(contentsOf: requests)
                for (index, outcome) in outcomes.enumerated() {
                    switch outcome {
                    case .success:
                        registered.append(requests[index].timestampUtc)
                        valid[index].delivery.ack()
                    case .failure(let error):
                        rejected.append((valid[index].delivery, "\(error)", valid[index].summary, true))
                    }
                }
            } catch let error as CorrelationError {
                // Not the messages' fault: leave them unacknowledged; they come back.
                logger.critical("Cannot register requests", metadata: ["error": "\(error)"])
                allSettled = false
            } catch {
                // Cancelled while waiting for capacity: unacknowledged, delivered again later.
                allSettled = false
            }
        }
        guard !rejected.isEmpty else { return (registered, allSettled) }
        let rejectedSettled = await withTaskGroup(of: Bool.self) { group in
            for message in rejected {
                group.addTask {
                    await reject(
                        message.delivery, queue: queue, reason: message.reason, summary: message.summary,
                        isJSONObject: message.isJSONObject, deadLetter: deadLetter)
                }
            }
            return await group.allSatisfy { $0 }
        }
        return (registered, allSettled && rejectedSettled)
    }

    private func reject(
        _ delivery: AMQPDelivery, queue: String, reason: String, summary: MTSRequestSummary?,
        isJSONObject: Bool,
        deadLetter: DeadLetterPublisher
    ) async -> Bool {
        do {
            try await deadLetter.publish(delivery, queue: queue, reason: reason)
            let record = RecordBuilder.invalidRequest(
                body: delivery.body, isJSONObject: isJSONObject, summary: summary,
                correlationId: delivery.properties.correlationID, queue: queue,
                redelivered: delivery.redelivered,
                reason: reason, now: Timestamp.nowMilliseconds())
            try await dispatcher.dispatch(record)
            delivery.ack()
            return true
        } catch {
            logger.error(
                "Could not dead-letter an invalid request; it stays in the queue",
                metadata: ["queue": "\(queue)", "error": "\(error)"])
            return false
        }
    }
}
