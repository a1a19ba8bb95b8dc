/// The content of a reply the catalogue does not detail (`cashout-reply`, the `*-ack-reply`
/// types, replies to operations outside the catalogue): its type, and its code and message where
/// present. Every field stays readable in `MTSReply.document`.
public struct GenericReply: Sendable, Hashable {
    /// The content type as sent.
    public var type: String
    /// The response code, when the content has an integer `code`.
    public var code: Int64?
    /// The readable text, when the content has a string `message`.
    public var message: String?
}
