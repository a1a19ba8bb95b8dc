/// The content of `error-reply`: a request refused before processing, or an internal error.
public struct ErrorReply: Sendable, Hashable {
    /// `error-reply`.
    public var type: String
    /// The error code.
    public var code: Int64
    /// The error's readable text.
    public var message: String
}
