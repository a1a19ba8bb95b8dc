/// Content type names and how replies pair with requests.
public enum MTSContentType {
    /// The content type of a reply refused before processing or failed internally, for any operation.
    public static let errorReply = "error-reply"

    /// What a reply content type appends to its request content type.
    public static let replySuffix = "-reply"

    /// Whether a reply of `replyContentType` answers a request of `requestContentType`:
    /// `X` is answered by `X-reply` or by `error-reply`. Compares bytes only; allocates nothing.
    public static func reply(_ replyContentType: String, answers requestContentType: String) -> Bool {
        if replyContentType == errorReply { return true }
        let reply = replyContentType.utf8
        let request = requestContentType.utf8
        guard !request.isEmpty, reply.count == request.count + replySuffix.utf8.count else { return false }
        return reply.starts(with: request)
            && reply.suffix(replySuffix.utf8.count).elementsEqual(replySuffix.utf8)
    }

    /// Whether `contentType` is a reply content type (ends in `-reply`).
    public static func isReply(_ contentType: String) -> Bool {
        contentType.utf8.count > replySuffix.utf8.count && contentType.hasSuffix(replySuffix)
    }
}
