/// The typed content of a reply, chosen by its `type`.
public enum MTSReplyContent: Sendable, Hashable {
    /// `ticket-reply` or `ticket-inform-reply`.
    case ticket(TicketReply)
    /// `cancel-reply`.
    case cancel(CancelReply)
    /// `casino-sessions-inform-reply`.
    case casinoSessionsInform(CasinoSessionsInformReply)
    /// `error-reply`.
    case error(ErrorReply)
    /// Any other content type, checked for its envelope only.
    case generic(GenericReply)

    /// The content's `type`.
    public var type: String {
        switch self {
        case .ticket(let content): content.type
        case .cancel(let content): content.type
        case .casinoSessionsInform(let content): content.type
        case .error(let content): content.type
        case .generic(let content): content.type
        }
    }

    /// The content's response code, where it has one.
    public var code: Int64? {
        switch self {
        case .ticket(let content): content.code
        case .cancel(let content): content.code
        case .casinoSessionsInform(let content): content.code
        case .error(let content): content.code
        case .generic(let content): content.code
        }
    }

    /// The content's status, for ticket and cancellation replies.
    public var status: ReplyStatus? {
        switch self {
        case .ticket(let content): content.status
        case .cancel(let content): content.status
        default: nil
        }
    }

    /// The ticket the reply is about, for ticket and cancellation replies.
    public var ticketId: String? {
        switch self {
        case .ticket(let content): content.ticketId
        case .cancel(let content): content.ticketId
        default: nil
        }
    }
}
