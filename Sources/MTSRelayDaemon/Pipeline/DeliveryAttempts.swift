import AMQPClient
import MTSProtocol
import Synchronization

/// The process-wide ``AttemptCounter``, shared by the consume loops and kept across
/// reconnections and terms (a message comes back on a new connection, or in the next term).
final class DeliveryAttempts: Sendable {
    /// The configuration key of the limit, named in the reason.
    static let limitKey = "deadLetter.maxAttempts"
    private let counter: Mutex<AttemptCounter>

    init(limit: Int) {
        counter = Mutex(AttemptCounter(limit: limit))
    }

    /// `message`, read from `queue`, or a rejection "gave up after N attempts" when the delivery
    /// is past the limit. A message is known by its queue and its correlation id (a request and
    /// its reply share the id), or its body when it has none.
    func check<Summary: EnvelopeSummary>(
        _ delivery: AMQPDelivery, _ message: ClassifiedMessage<Summary>, queue: String
    ) -> ClassifiedMessage<Summary> {
        check(message, body: delivery.body, redelivered: delivery.redelivered, queue: queue)
    }

    /// As ``check(_:_:queue:)``, for a delivery of `body` with the broker's `redelivered` flag.
    func check<Summary: EnvelopeSummary>(
        _ message: ClassifiedMessage<Summary>, body: [UInt8], redelivered: Bool, queue: String = ""
    ) -> ClassifiedMessage<Summary> {
        var correlationId: String?
        var summary: Summary?
        var isJSONObject = true
        switch message {
        case .valid(let envelope):
            correlationId = envelope.correlationId
            summary = envelope.summary
        case .rejected(let rejection):
            correlationId = rejection.correlationId
            summary = rejection.summary
            isJSONObject = rejection.isJSONObject
        }
        let key = queue + "|" + (correlationId.map { "id:" + $0 } ?? "body:\(body.hashValue)")
        let gaveUpAfter = counter.withLock {
            $0.recordDelivery(key: key, redelivered: redelivered)
        }
        guard let attempts = gaveUpAfter else { return message }
        return .rejected(
            MessageRejection(
                reason: .gaveUp(attempts: attempts, limitKey: Self.limitKey, isJSONObject: isJSONObject),
                correlationId: correlationId, summary: summary))
    }
}
