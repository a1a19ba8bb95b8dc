/// What could be read from a request, valid or not.
///
/// Each field holds a value only where the message has it with the right JSON type.
public struct MTSRequestSummary: Sendable, Hashable {
    /// The envelope's `correlationId`, when it is a string.
    public var correlationId: String?
    /// The envelope's `operation`, when it is a string.
    public var operation: String?
    /// `content.type`, when it is a string.
    public var contentType: String?
    /// The envelope's `timestampUtc`, when it is an integer within `Int64` (range not applied).
    public var timestampUtc: Int64?
    /// The envelope's `operatorId`, when it is an integer within `Int64`.
    public var operatorId: Int64?
    /// `content.ticketId`, when it is a string.
    public var ticketId: String?

    /// Reads the summary from a parsed message without judging it.
    init(_ document: JSONObject?) {
        guard let document else { return }
        correlationId = document["correlationId"]?.stringValue
        operation = document["operation"]?.stringValue
        timestampUtc = document["timestampUtc"]?.int64Value
        operatorId = document["operatorId"]?.int64Value
        guard let content = document["content"]?.objectValue else { return }
        contentType = content["type"]?.stringValue
        ticketId = content["ticketId"]?.stringValue
    }
}
