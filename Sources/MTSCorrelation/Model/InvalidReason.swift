/// Why a result is `invalid`.
public enum InvalidReason: Sendable, Hashable, CustomStringConvertible {
    /// The daemon's validation refused the message; the text says why.
    case validationFailed(String)
    /// The reply's content type is neither `<request type>-reply` nor `error-reply`.
    /// The request stays outstanding.
    case contentTypeDoesNotAnswer(requestContentType: String, replyContentType: String)
    /// The reply's operation differs from its request's. The request stays outstanding.
    case operationMismatch(requestOperation: String, replyOperation: String)

    /// A sentence for logs and sinks.
    public var description: String {
        switch self {
        case .validationFailed(let reason):
            "validation failed: \(reason)"
        case .contentTypeDoesNotAnswer(let request, let reply):
            "content type '\(reply)' does not answer a '\(request)' request"
        case .operationMismatch(let request, let reply):
            "reply operation '\(reply)' differs from request operation '\(request)'"
        }
    }
}
