/// What ``CorrelationEngine/register(_:)`` did with a request.
public enum RegistrationStatus: Sendable, Hashable {
    /// The request is new and now outstanding (durable when the store is on).
    case registered
    /// A request with the same correlation id and a byte-identical body is already known
    /// (outstanding, or resolved and still in retention): a redelivered intake message.
    /// Nothing changed; the daemon can ack the message.
    case alreadyRegistered
}
