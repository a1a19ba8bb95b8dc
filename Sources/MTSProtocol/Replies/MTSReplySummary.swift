/// What could be read from a reply, valid or not: enough to route it and report on it.
///
/// Each field holds a value only where the message has it with the right JSON type; rules beyond
/// the type (lengths, ranges, enumerations) are not applied here, they are in the violations.
public struct MTSReplySummary: Sendable, Hashable {
    /// The envelope's `correlationId`, when it is a string.
    public var correlationId: String?
    /// The envelope's `operation`, when it is a string.
    public var operation: String?
    /// `content.type`, when it is a string.
    public var contentType: String?
    /// The envelope's `timestampUtc`, when it is an integer within `Int64` (range not applied).
    public var timestampUtc: Int64?
    /// `content.status`, when it is `accepted` or `rejected`.
    public var status: ReplyStatus?
    /// `content.code`, when it is an integer within `Int64`.
    public var code: Int64?
    /// `content.ticketId`, when it is a string.
    public var ticketId: String?

    /// The code described from the code tables for the content type.
    public var codeDescription: CodeDescription? {
        code.map { MTSCodes.describe($0, contentType: contentType ?? "") }
    }

    /// Reads the summary from a parsed message without judging it.
    init(_ document: JSONObject?) {
        guard let document else { return }
        correlationId = document["correlationId"]?.stringValue
        operation = document["operation"]?.stringValue
        timestampUtc = document["timestampUtc"]?.int64Value
        guard let content = document["content"]?.objectValue else { return }
        contentType = content["type"]?.stringValue
        status = content["status"]?.stringValue.flatMap(ReplyStatus.init(rawValue:))
        code = content["code"]?.int64Value
        ticketId = content["ticketId"]?.stringValue
    }
}
