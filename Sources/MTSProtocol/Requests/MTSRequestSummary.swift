/// What could be read from a request, valid or not.
///
/// Each field holds a value only where the message has it with the right JSON type.
public struct MTSRequestSummary: Sendable, Hashable {
    public var correlationId: String?
    public var operation: String?
    public var contentType: String?
    public var timestampUtc: Int64?
    public var operatorId: Int64?
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
