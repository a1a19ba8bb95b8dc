import AMQPClient
import Logging
import MTSCorrelation
import MTSProtocol

/// The intake (the requests the platform sent to MTS), as a ``ConsumerSession`` consumes it:
/// each batch's valid requests are submitted to the engine in one call (replies match them from
/// then on) and the batch's watermark reported; the session then reads the next batch while
/// this one commits, and ``settle(_:)`` acknowledges every batch that accumulated once one wait
/// says they are durable. The broker's prefetch bounds what waits.
///
/// Invalid requests (and those the engine or the database refuses) are republished to the
/// dead-letter exchange with their reason, get an `invalid` record, and only then are
/// acknowledged. Unknown replies become `unmatched` only once the intake watermark has passed
/// their timestamp plus the unmatched grace; the watermark moves once the batch is in the
/// table, before its commit: a reply matched meanwhile is decided in a later transaction of the
/// same store, and if that commit fails the store stops the engine and nothing is acknowledged.
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
    ) async throws -> SubmittedIntake? {
        metrics.intakeInFlight(batch.count)
        var submitted = SubmittedIntake(queue: queue, deadLetter: session.deadLetter)
        var requests: [CorrelationRequest] = []
        for item in batch {
            switch item.message {
            case .rejected(let rejection):
                submitted.rejected.append(
                    .init(
                        delivery: item.delivery, reason: rejection.description, summary: rejection.summary,
                        isJSONObject: rejection.isJSONObject, kind: .init(rejection)))
            case .valid(let envelope):
                submitted.valid.append((item.delivery, envelope.summary))
                requests.append(
                    CorrelationRequest(
                        correlationId: envelope.correlationId, operation: envelope.operation,
                        contentType: envelope.contentType, timestampUtc: envelope.timestampUtc,
                        ticketId: envelope.ticketId, body: item.delivery.body))
            }
        }
        if !requests.isEmpty {
            do {
                submitted.registrations = try await engine.submit(contentsOf: requests)
            } catch is CancellationError {
                // Cancelled while waiting for capacity: unacknowledged, delivered again later.
                metrics.intakeInFlight(-batch.count)
                throw CancellationError()
            } catch {
                // The store failed: none of the batch is acknowledged; the broker delivers it
                // again on a new connection.
                logger.critical("Cannot register requests", metadata: ["error": "\(error)"])
                metrics.intakeInFlight(-batch.count)
                throw AMQPError(
                    code: .connectionClosed,
                    reason:
                        "intake messages could not be registered; reconnecting so that the broker delivers them again"
                )
            }
        }
        // The batch is in the table: the watermark says it has been read.
        if let watermark { await engine.advanceWatermark(.intake, queue: queue, to: watermark) }
        return submitted
    }

    /// Counted in flight by ``accept(_:from:watermark:session:)``, and no longer.
    func abandon(_ unsettled: [SubmittedIntake]) {
        metrics.intakeInFlight(-unsettled.reduce(0) { $0 + $1.messageCount })
    }

    /// Waits once for everything submitted to be durable, acknowledges the registered
    /// messages, and dead-letters the refused ones (with their records). Throws, ending the
    /// session, when a message could be neither: the broker hands unacknowledged messages back
    /// only when their channel closes.
    func settle(_ unsettled: [SubmittedIntake]) async throws {
        let count = unsettled.reduce(0) { $0 + $1.messageCount }
        defer { metrics.intakeInFlight(-count) }
        let outcomes: [[Result<RegistrationStatus, CorrelationError>]]
        do {
            outcomes = try await engine.durable(unsettled.compactMap(\.registrations))
        } catch {
            logger.critical("Cannot register requests", metadata: ["error": "\(error)"])
            throw AMQPError(
                code: .connectionClosed,
                reason:
                    "intake messages could not be registered or dead-lettered; reconnecting so that the broker delivers them again"
            )
        }
        // One outcome list per batch that had valid requests, in order.
        var batchOutcomes = outcomes.makeIterator()
        var allSettled = true
        for batch in unsettled {
            var rejected = batch.rejected
            if batch.registrations != nil, let outcomes = batchOutcomes.next() {
                for (index, outcome) in outcomes.enumerated() {
                    switch outcome {
                    case .success: batch.valid[index].delivery.ack()
                    case .failure(let error):
                        // The table or the database refusing the values is this message's fault.
                        rejected.append(
                            .init(
                                delivery: batch.valid[index].delivery, reason: "\(error)",
                                summary: batch.valid[index].summary, isJSONObject: true, kind: .init(error)))
                    }
                }
            }
            if !(await deadLetter(rejected, of: batch)) { allSettled = false }
        }
        guard allSettled else {
            throw AMQPError(
                code: .connectionClosed,
                reason:
                    "intake messages could not be registered or dead-lettered; reconnecting so that the broker delivers them again"
            )
        }
    }

    /// Dead-letters `rejected` of `batch` with their `invalid` records; whether all were.
    private func deadLetter(_ rejected: [SubmittedIntake.Rejected], of batch: SubmittedIntake) async -> Bool {
        guard !rejected.isEmpty else { return true }
        let now = Timestamp.nowMilliseconds()
        let invalid = rejected.map { message in
            InvalidMessages.Message(
                delivery: message.delivery, reason: message.reason, kind: message.kind,
                record: RecordBuilder.invalidRequest(
                    body: message.delivery.body, isJSONObject: message.isJSONObject, summary: message.summary,
                    correlationId: message.delivery.properties.correlationID, queue: batch.queue,
                    redelivered: message.delivery.redelivered, reason: message.reason, now: now))
        }
        return await InvalidMessages(appender: appender, metrics: metrics, logger: logger)
            .settle(invalid, queue: batch.queue, deadLetter: batch.deadLetter)
    }
}
