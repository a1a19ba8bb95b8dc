import AMQPClient
import Logging
import MTSCorrelation
import MTSProtocol

/// The intake (the requests the platform sent to MTS), as a ``ConsumerSession`` consumes it:
/// each batch's valid requests are registered in the engine in one call, and a message is
/// acknowledged once its registration is durable.
///
/// Invalid requests are republished to the dead-letter exchange with their reason, get an
/// `invalid` record, and only then are acknowledged. The intake's watermark is reported once
/// the batch is registered: unknown replies become `unmatched` only once it has passed their
/// timestamp plus the unmatched grace.
struct IntakeQueue: ConsumedQueues {
    let configuration: RelayConfiguration
    let engine: CorrelationEngine
    /// Writes the records of invalid messages into the engine's log.
    let appender: ResultAppender
    let metrics: RelayMetrics
    let logger: Logger

    var loop: ConsumeLoop { .intake }
    var watermarkSource: WatermarkSource { .intake }
    var queues: [String] { [configuration.intake.queue] }
    var prefetch: Int { configuration.intake.prefetch }
    var transitAllowanceMs: Int { configuration.intake.transitAllowanceMs }
    var topology: RelayTopology {
        RelayTopology(
            intakeQueue: configuration.intake.queue, replyQueues: [],
            deadLetterExchange: configuration.deadLetter.exchange,
            deadLetterQueue: configuration.deadLetter.queue)
    }

    func classify(_ delivery: AMQPDelivery) -> ClassifiedMessage<MTSRequestSummary> {
        MessageClassifier(
            maxMessageBytes: configuration.intake.maxMessageBytes, limitKey: "intake.maxMessageBytes"
        )
        .request(delivery.body, correlationProperty: delivery.properties.correlationID)
    }

    func accept(
        _ batch: [ClassifiedDelivery<MTSRequestSummary>], from queue: String, watermark: Int64?,
        session: ConsumerSessionContext
    ) async throws {
        metrics.intakeInFlight(batch.count)
        let allSettled = await register(batch, queue: queue, deadLetter: session.deadLetter)
        metrics.intakeInFlight(-batch.count)
        guard allSettled else {
            // The broker hands unacknowledged messages back only when their channel closes; until
            // then they would hold the watermark's truth.
            throw AMQPError(
                code: .connectionClosed,
                reason:
                    "intake messages could not be registered or dead-lettered; reconnecting so that the broker delivers them again"
            )
        }
        // After the batch is registered: the watermark says it has been read.
        if let watermark { await engine.advanceWatermark(.intake, queue: queue, to: watermark) }
    }

    /// Registers a batch's valid requests in one engine call (one store transaction) and acks
    /// them once durable; invalid ones are dead-lettered, concurrently. Returns whether every
    /// message of the batch was acknowledged.
    private func register(
        _ batch: [ClassifiedDelivery<MTSRequestSummary>], queue: String, deadLetter: DeadLetterPublisher
    ) async -> Bool {
        var valid: [(delivery: AMQPDelivery, summary: MTSRequestSummary)] = []
        var requests: [CorrelationRequest] = []
        // Refused by the classifier, or by the engine (a conflicting registration...).
        var rejected: [Rejected] = []
        for item in batch {
            switch item.message {
            case .rejected(let rejection):
                rejected.append(
                    Rejected(
                        delivery: item.delivery, reason: rejection.description, summary: rejection.summary,
                        isJSONObject: rejection.isJSONObject, kind: .init(rejection)))
            case .valid(let envelope):
                valid.append((item.delivery, envelope.summary))
                requests.append(
                    CorrelationRequest(
                        correlationId: envelope.correlationId, operation: envelope.operation,
                        contentType: envelope.contentType, timestampUtc: envelope.timestampUtc,
                        ticketId: envelope.ticketId, body: item.delivery.body))
            }
        }
        var allSettled = true
        if !requests.isEmpty {
            do {
                let outcomes = try await engine.register(contentsOf: requests)
                for (index, outcome) in outcomes.enumerated() {
                    switch outcome {
                    case .success: valid[index].delivery.ack()
                    case .failure(let error):
                        // The database refusing the values is this message's fault: dead-letter it.
                        rejected.append(
                            Rejected(
                                delivery: valid[index].delivery, reason: "\(error)",
                                summary: valid[index].summary, isJSONObject: true, kind: .init(error)))
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
        let now = Timestamp.nowMilliseconds()
        let invalid = rejected.map { message in
            InvalidMessages.Message(
                delivery: message.delivery, reason: message.reason, kind: message.kind,
                record: RecordBuilder.invalidRequest(
                    body: message.delivery.body, isJSONObject: message.isJSONObject, summary: message.summary,
                    correlationId: message.delivery.properties.correlationID, queue: queue,
                    redelivered: message.delivery.redelivered, reason: message.reason, now: now))
        }
        let rejectedSettled = await InvalidMessages(appender: appender, metrics: metrics, logger: logger)
            .settle(invalid, queue: queue, deadLetter: deadLetter)
        return allSettled && rejectedSettled
    }

    /// A message refused by the classifier or by the engine, and why.
    private struct Rejected: Sendable {
        var delivery: AMQPDelivery
        var reason: String
        var summary: MTSRequestSummary?
        var isJSONObject: Bool
        var kind: RelayMetrics.DeadLetterReason
    }
}
