/// The result of decoding one reply: the typed reply when it is valid, a summary in every case,
/// and every violation found.
public struct DecodedReply: Sendable, Hashable {
    /// The typed reply; nil exactly when there are violations.
    public var reply: MTSReply?
    /// What could be read, even from an invalid reply.
    public var summary: MTSReplySummary
    /// Every rule the message breaks, in validation order (envelope first, then content).
    public var violations: [Violation]

    /// Whether the message breaks no rule.
    public var isValid: Bool { violations.isEmpty }
}
