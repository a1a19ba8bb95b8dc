/// The content of `ticket-reply` (ticket placement) and `ticket-inform-reply` (pre-validated
/// ticket placement): the same fields under two type names.
public struct TicketReply: Sendable, Hashable {
    /// `ticket-reply` or `ticket-inform-reply`.
    public var type: String
    /// MTS's proof of origin, 1-128 characters.
    public var signature: String
    /// Whether MTS accepts the ticket.
    public var status: ReplyStatus
    /// The ticket the reply is about, 1-128 characters.
    public var ticketId: String
    /// The validation code (see `MTSCodes.validation`).
    public var code: Int64
    /// The code's readable text, 1-128 characters.
    public var message: String?
    /// The outcome of each bet.
    public var betDetails: [BetDetail]?
    /// The rates used to convert to the system currency.
    public var exchangeRate: [ExchangeRate]?
}
