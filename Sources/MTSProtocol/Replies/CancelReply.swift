/// The content of `cancel-reply`, exactly as the cancellation seed lists it.
public struct CancelReply: Sendable, Hashable {
    /// `cancel-reply`.
    public var type: String
    /// The id from the cancellation request, 1-128 characters.
    public var cancellationId: String?
    /// MTS's proof of origin, 1-128 characters.
    public var signature: String
    /// Whether the cancellation was accepted.
    public var status: ReplyStatus
    /// The ticket the cancellation affects.
    public var ticketId: String
    /// The cancellation code (see `MTSCodes.cancellation`).
    public var code: Int64
    /// The code's readable text, 1-128 characters.
    public var message: String?
}
