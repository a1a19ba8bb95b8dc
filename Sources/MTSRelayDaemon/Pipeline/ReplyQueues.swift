import AMQPClient
import MTSCorrelation
import MTSProtocol

/// The MTS reply queues, as a ``ConsumerSession`` consumes them: every reply, valid or not,
/// goes to the engine with its batch's watermark in one actor turn; the result loop
/// acknowledges each delivery once its record is committed to the log of results
/// (``DeliveryRegistry``).
struct ReplyQueues: ConsumedQueues {
    let configuration: RelayConfiguration
    let engine: CorrelationEngine
    let registry: DeliveryRegistry

    var loop: ConsumeLoop { .replies }
    var watermarkSource: WatermarkSource { .replies }
    var queues: [String] { configuration.replies.queues }
    var prefetch: Int { configuration.replies.prefetch }
    var transitAllowanceMs: Int { configuration.replies.transitAllowanceMs }
    var topology: RelayTopology {
        RelayTopology(
            intakeQueue: nil, replyQueues: configuration.replies.queues,
            deadLetterExchange: configuration.deadLetter.exchange,
            deadLetterQueue: configuration.deadLetter.queue)
    }

    func classify(_ delivery: AMQPDelivery) -> ClassifiedMessage<MTSReplySummary> {
        MessageClassifier(
            maxMessageBytes: configuration.replies.maxMessageBytes, limitKey: "replies.maxMessageBytes"
        ).reply(delivery.body, correlationProperty: delivery.properties.correlationID)
    }

    func accept(
        _ batch: [ClassifiedDelivery<MTSReplySummary>], from queue: String, watermark: Int64?,
        session: ConsumerSessionContext
    ) async -> Never? {
        let messages = batch.map { item in
            incoming(item.delivery, item.message, queue: queue, session: session)
        }
        // One actor turn for the whole batch, then the watermark it read up to.
        await engine.receive(contentsOf: messages, watermark: watermark.map { (queue, $0) })
        // The result loop acknowledges them.
        return nil
    }

    /// Registers the delivery (the result loop finds it by token) and makes the engine's input.
    private func incoming(
        _ delivery: AMQPDelivery, _ message: ClassifiedMessage<MTSReplySummary>, queue: String,
        session: ConsumerSessionContext
    ) -> IncomingReply {
        var entry = DeliveryRegistry.Entry(
            delivery: delivery, queue: queue, summary: nil, isJSONObject: false,
            deadLetter: session.deadLetter,
            connectionID: session.connectionID)
        switch message {
        case .valid(let envelope):
            entry.summary = envelope.summary
            entry.isJSONObject = true
            let token = registry.add(entry)
            return .wellFormed(
                CorrelationReply(
                    correlationId: envelope.correlationId, operation: envelope.operation,
                    contentType: envelope.contentType, timestampUtc: envelope.timestampUtc,
                    body: delivery.body, token: token, redelivered: delivery.redelivered))
        case .rejected(let rejection):
            entry.summary = rejection.summary
            entry.isJSONObject = rejection.isJSONObject
            if case .gaveUp = rejection.reason { entry.deadLetterReason = .gaveUp }
            let token = registry.add(entry)
            return .rejected(
                RejectedMessage(
                    correlationId: rejection.correlationId, body: delivery.body, token: token,
                    redelivered: delivery.redelivered, reason: rejection.description))
        }
    }

    /// Waits until no result is being delivered for two checks in a row, at most half the
    /// shutdown bound.
    func drain() async {
        let deadline = ContinuousClock.now + .seconds(configuration.shutdown.timeoutSeconds) / 2
        var quietChecks = 0
        while quietChecks < 2, ContinuousClock.now < deadline {
            quietChecks = registry.inFlightCount == 0 ? quietChecks + 1 : 0
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    func sessionEnded(_ session: ConsumerSessionContext) {
        // Deliveries of this connection can no longer be acknowledged; the broker has them.
        registry.removeAll { $0.connectionID == session.connectionID }
    }
}
