/// What ``MessageClassifier/jackpot(_:correlationProperty:receivedAt:)`` read from a jackpot
/// ticket request: a jackpot body has no envelope, so its correlation id is the AMQP
/// `correlation_id` property and its timestamp the moment the relay read it.
public struct JackpotRequestSummary: EnvelopeSummary {
    public static let operation = "jackpot-ticket"

    public var correlationId: String?
    public var operation: String? { Self.operation }
    public var contentType: String? { Self.operation }
    public var timestampUtc: Int64?
    public var ticketId: String? { nil }
    /// The body as it is POSTed (``JackpotTicketRequest/canonicalBody``), when it is valid: the
    /// request is parsed once, here.
    public var canonicalBody: [UInt8]?

    public init(correlationId: String?, timestampUtc: Int64?, canonicalBody: [UInt8]?) {
        self.correlationId = correlationId
        self.timestampUtc = timestampUtc
        self.canonicalBody = canonicalBody
    }
}
