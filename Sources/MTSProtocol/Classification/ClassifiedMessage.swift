/// What ``MessageClassifier`` made of one consumed message: an envelope the engine can take,
/// or a typed rejection.
public enum ClassifiedMessage<Summary: EnvelopeSummary>: Sendable, Hashable {
    case valid(ValidEnvelope<Summary>)
    case rejected(MessageRejection<Summary>)

    /// The message's timestamp when it is valid (what a consumer has read up to).
    public var validTimestamp: Int64? {
        guard case .valid(let envelope) = self else { return nil }
        return envelope.timestampUtc
    }
}

/// A message that passed every rule: its envelope fields, all present.
public struct ValidEnvelope<Summary: EnvelopeSummary>: Sendable, Hashable {
    /// The correlation id: the body's, or the AMQP property's when the body has none.
    public var correlationId: String
    public var operation: String
    public var contentType: String
    public var timestampUtc: Int64
    /// Everything that was read, for the record.
    public var summary: Summary

    /// `content.ticketId`, when present.
    public var ticketId: String? { summary.ticketId }
}
