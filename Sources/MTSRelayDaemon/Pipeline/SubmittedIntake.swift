import AMQPClient
import MTSCorrelation
import MTSProtocol

/// An intake batch submitted to the engine, waiting for its commit to be acknowledged.
struct SubmittedIntake: Sendable {
    /// A message refused by the classifier, the engine or the database, and why.
    struct Rejected: Sendable {
        var delivery: AMQPDelivery
        var reason: String
        var summary: MTSRequestSummary?
        var isJSONObject: Bool
        var kind: RelayMetrics.DeadLetterReason
    }

    var queue: String
    /// The session's confirming channel to the dead-letter exchange.
    var deadLetter: DeadLetterPublisher
    /// The valid requests' deliveries, in the order submitted.
    var valid: [(delivery: AMQPDelivery, summary: MTSRequestSummary)] = []
    /// What the engine made of them (nil when the batch had no valid request).
    var registrations: SubmittedRegistrations?
    var rejected: [Rejected] = []

    /// Every message of the batch, valid or not: what it counts in flight until settled.
    var messageCount: Int { valid.count + rejected.count }
}
