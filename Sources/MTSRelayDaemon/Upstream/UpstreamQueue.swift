import AMQPClient
import Logging
import MTSCorrelation
import MTSProtocol

/// An active upstream's queue (the jackpot tickets), as a ``ConsumerSession`` consumes it:
/// classified by the upstream (``ActiveUpstream/classify(_:correlationProperty:receivedAt:)``),
/// each batch's valid requests registered in the upstream's engine in one call and
/// acknowledged once durable, then handed to the ``UpstreamSender``. Invalid messages are
/// dead-lettered with their reason and get an `invalid` record, as the intake's are
/// (``InvalidMessages``); they are never sent.
///
/// A request's timestamp is the moment it was read: it has no envelope, and its deadline is
/// that moment plus the upstream's timeout (the engine's computation).
struct UpstreamQueue<Upstream: ActiveUpstream>: ConsumedQueues {
    let upstream: Upstream
    let engine: CorrelationEngine
    let handoff: UpstreamHandoff
    let configuration: RelayConfiguration
    /// Writes the records of invalid messages into the engine's log.
    let appender: ResultAppender
    let metrics: RelayMetrics
    let logger: Logger

    var loop: ConsumeLoop { .jackpot }
    /// Its idle ticks move the intake watermark of the upstream's engine (its sender moves
    /// both to the clock anyway).
    var watermarkSource: WatermarkSource { .intake }
    var queues: [String] { [upstream.queue] }
    var prefetch: Int { upstream.prefetch }
    var transitAllowanceMs: Int { configuration.intake.transitAllowanceMs }
    var topology: RelayTopology {
        RelayTopology(
            intakeQueue: upstream.queue, replyQueues: [],
            deadLetterExchange: configuration.deadLetter.exchange,
            deadLetterQueue: configuration.deadLetter.queue)
    }

    func classify(_ delivery: AMQPDelivery) -> ClassifiedMessage<Upstream.Summary> {
        upstream.classify(
            delivery.body, correlationProperty: delivery.properties.correlationID,
            receivedAt: Timestamp.nowMilliseconds())
    }

    func accept(
        _ batch: [ClassifiedDelivery<Upstream.Summary>], from queue: String, watermark: Int64?,
        session: ConsumerSessionContext
    ) async throws -> Never? {
        var valid: [(delivery: AMQPDelivery, payload: [UInt8])] = []
        var requests: [CorrelationRequest] = []
        var rejected: [(delivery: AMQPDelivery, reason: String, kind: RelayMetrics.DeadLetterReason)] = []
        for item in batch {
            switch item.message {
            case .rejected(let rejection):
                rejected.append((item.delivery, rejection.description, .init(rejection)))
            case .valid(let envelope):
                guard let payload = upstream.payload(of: envelope.summary) else {
                    rejected.append((item.delivery, "$: the request cannot be sent", .invalid))
                    continue
                }
                valid.append((item.delivery, payload))
                requests.append(
                    CorrelationRequest(
                        correlationId: envelope.correlationId, operation: upstream.operation,
                        contentType: upstream.contentType, timestampUtc: envelope.timestampUtc,
                        body: item.delivery.body))
            }
        }
        var allSettled = true
        var toSend: [UpstreamWork] = []
        if !requests.isEmpty {
            do {
                let outcomes = try await engine.register(contentsOf: requests)
                for (index, outcome) in outcomes.enumerated() {
                    switch outcome {
                    case .success(.registered):
                        valid[index].delivery.ack()
                        toSend.append(
                            UpstreamWork(
                                correlationId: requests[index].correlationId, payload: valid[index].payload,
                                deadline: engine.configuration.deadline(of: requests[index]),
                                holdsBacklogPlace: true))
                    case .success:
                        // Already registered (a redelivery): sent, or about to be, by its first delivery.
                        valid[index].delivery.ack()
                    case .failure(let error):
                        rejected.append((valid[index].delivery, "\(error)", .init(error)))
                    }
                }
            } catch let error as CorrelationError {
                // Not the messages' fault: unacknowledged, they come back on a new connection.
                logger.critical("Cannot register \(upstream.name) requests", metadata: ["error": "\(error)"])
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
                record: UpstreamRecordBuilder.invalidRequest(
                    body: message.delivery.body, correlationId: message.delivery.properties.correlationID,
                    upstream: upstream, redelivered: message.delivery.redelivered, reason: message.reason,
                    now: now))
        }
        let rejectedSettled = await InvalidMessages(appender: appender, metrics: metrics, logger: logger)
            .settle(invalid, queue: queue, deadLetter: session.deadLetter)
        await handoff.send(toSend)
        guard allSettled && rejectedSettled else {
            throw AMQPError(
                code: .connectionClosed,
                reason:
                    "\(upstream.name) messages could not be registered or dead-lettered; reconnecting so that the broker delivers them again"
            )
        }
        // Settled here: an upstream's requests are few and each waits for an HTTP answer anyway.
        return nil
    }
}
