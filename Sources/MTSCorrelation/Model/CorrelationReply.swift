/// A well-formed reply from MTS, as the engine needs it.
public struct CorrelationReply: Sendable, Hashable {
    /// The envelope's `correlationId`, compared byte for byte (UTF-8).
    public var correlationId: String
    /// The envelope's `operation`; a reply carries its request's operation.
    public var operation: String
    /// The reply content's `type`, e.g. `ticket-reply` or `error-reply`.
    public var contentType: String
    /// The envelope's `timestampUtc` in milliseconds since the Unix epoch.
    public var timestampUtc: Int64
    /// The original message bytes.
    public var body: [UInt8]
    /// An opaque value of the daemon's (e.g. the AMQP delivery tag), returned in the result.
    public var token: UInt64
    /// The broker's `redelivered` flag for this delivery.
    public var redelivered: Bool

    /// Creates a reply value.
    public init(
        correlationId: String, operation: String, contentType: String, timestampUtc: Int64,
        body: [UInt8], token: UInt64, redelivered: Bool = false
    ) {
        self.correlationId = correlationId
        self.operation = operation
        self.contentType = contentType
        self.timestampUtc = timestampUtc
        self.body = body
        self.token = token
        self.redelivered = redelivered
    }
}
