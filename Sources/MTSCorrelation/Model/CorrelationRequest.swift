/// A request the platform sent to MTS, as the engine needs it.
///
/// The daemon maps a decoded request message onto this value; the engine never parses JSON.
/// `body` is the message exactly as received and is forwarded untouched in results.
public struct CorrelationRequest: Sendable, Hashable {
    /// The envelope's `correlationId`, compared byte for byte (UTF-8).
    public var correlationId: String
    /// The envelope's `operation`, e.g. `ticket-placement`; selects the timeout.
    public var operation: String
    /// The request content's `type`, e.g. `ticket`; a reply answers it with `<type>-reply`.
    public var contentType: String
    /// The envelope's `timestampUtc` in milliseconds since the Unix epoch; the deadline counts from it.
    public var timestampUtc: Int64
    /// The ticket id, when the request carries one.
    public var ticketId: String?
    /// The original message bytes.
    public var body: [UInt8]

    /// Creates a request value.
    public init(
        correlationId: String, operation: String, contentType: String, timestampUtc: Int64,
        ticketId: String? = nil, body: [UInt8]
    ) {
        self.correlationId = correlationId
        self.operation = operation
        self.contentType = contentType
        self.timestampUtc = timestampUtc
        self.ticketId = ticketId
        self.body = body
    }
}
