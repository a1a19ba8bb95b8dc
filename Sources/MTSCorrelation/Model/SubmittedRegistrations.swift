/// A batch of requests ``CorrelationEngine/submit(contentsOf:)`` registered, not known to be
/// durable yet: hand it to ``CorrelationEngine/durable(_:)`` before acknowledging the messages.
public struct SubmittedRegistrations: Sendable {
    /// Per request, in order: what the table did with it, or why it refused it. A success may
    /// still turn into a failure once durable (the database refused the values).
    public let outcomes: [Result<RegistrationStatus, CorrelationError>]
    /// The requests' ids, in order (the database's refusals are looked up by id).
    let correlationIds: [String]
}
