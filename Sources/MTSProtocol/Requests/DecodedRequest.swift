/// The result of decoding one request: the typed request when it is valid, a summary in every
/// case, and every violation found.
public struct DecodedRequest: Sendable, Hashable {
    /// The typed request; nil exactly when there are violations.
    public var request: MTSRequest?
    /// What could be read, even from an invalid request.
    public var summary: MTSRequestSummary
    /// Every rule the message breaks, in validation order (envelope first, then content).
    public var violations: [Violation]

    /// Whether the message breaks no rule.
    public var isValid: Bool { violations.isEmpty }
}
