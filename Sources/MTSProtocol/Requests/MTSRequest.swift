/// A valid MTS Transaction 3.0 request, as the intake sees it: the envelope typed, the rest of the
/// content kept as parsed JSON (the relay forwards the original bytes).
public struct MTSRequest: Sendable, Hashable {
    /// The client's string that MTS returns in the reply.
    public var correlationId: String
    /// Unix time in milliseconds, 1 ... `Int64.max`.
    public var timestampUtc: Int64
    /// The operation requested.
    public var operation: String
    /// Always `3.0`.
    public var version: String
    /// The operator's id.
    public var operatorId: Int64
    /// The content's `type`.
    public var contentType: String
    /// The content's `ticketId`, where it has one.
    public var ticketId: String?
    /// The whole message as parsed, unknown fields included.
    public var document: JSONObject

    /// The operation, when the catalogue details it.
    public var knownOperation: MTSOperation? { MTSOperation(rawValue: operation) }

    /// The content object as parsed.
    public var content: JSONObject { document["content"]?.objectValue ?? JSONObject() }
}
