/// A valid MTS Transaction 3.0 reply.
///
/// The relay forwards the original bytes of a reply; this model is for routing and reporting.
/// Fields the models do not name stay readable in `document`.
public struct MTSReply: Sendable, Hashable {
    /// The client's string, returned unchanged by MTS.
    public var correlationId: String
    /// Unix time in milliseconds, 1 ... `Int64.max`.
    public var timestampUtc: Int64
    /// The operation of the request this reply answers.
    public var operation: String
    /// Always `3.0`.
    public var version: String
    /// The typed content.
    public var content: MTSReplyContent
    /// The whole message as parsed, unknown fields included.
    public var document: JSONObject

    /// The operation, when the catalogue details it.
    public var knownOperation: MTSOperation? { MTSOperation(rawValue: operation) }

    /// The content's `type`.
    public var contentType: String { content.type }

    /// The content's code described from the code tables, where the content has a code.
    public var codeDescription: CodeDescription? {
        content.code.map { MTSCodes.describe($0, contentType: content.type) }
    }
}
