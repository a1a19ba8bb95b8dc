/// A reply the daemon already found invalid (it failed decoding or validation).
///
/// Passing it to the engine keeps every reply on the one ordered result stream: it always
/// yields exactly one `invalid` result, at once.
public struct RejectedMessage: Sendable, Hashable {
    /// The correlation id, when the daemon could read one; used only to attach the request.
    public var correlationId: String?
    /// The original message bytes.
    public var body: [UInt8]
    /// An opaque value of the daemon's (e.g. the AMQP delivery tag), returned in the result.
    public var token: UInt64
    /// The broker's `redelivered` flag for this delivery.
    public var redelivered: Bool
    /// Why validation failed, in words for the operator.
    public var reason: String

    /// Creates a rejected-message value.
    public init(
        correlationId: String?, body: [UInt8], token: UInt64, redelivered: Bool = false, reason: String
    ) {
        self.correlationId = correlationId
        self.body = body
        self.token = token
        self.redelivered = redelivered
        self.reason = reason
    }
}
