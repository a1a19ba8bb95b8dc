/// The operations the reference's catalogue details, each with its request and reply content type.
///
/// Other operations (`cashout-inform`, `max-stake`, `account-*-inform`, ...) exist; their messages
/// are carried as envelopes whose `operation` matches no case here.
public enum MTSOperation: String, Sendable, Hashable, CaseIterable {
    case ticketPlacement = "ticket-placement"
    case ticketPlacementInform = "ticket-placement-inform"
    case ticketPlacementAck = "ticket-placement-ack"
    case ticketCancel = "ticket-cancel"
    case ticketCancelAck = "ticket-cancel-ack"
    case ticketCashout = "ticket-cashout"
    case ticketCashoutAck = "ticket-cashout-ack"
    case ticketExtSettlement = "ticket-ext-settlement"
    case ticketExtSettlementAck = "ticket-ext-settlement-ack"
    case casinoSessionsInform = "casino-sessions-inform"

    /// The content type of this operation's requests, e.g. `ticket` for `ticket-placement`.
    public var requestContentType: String {
        switch self {
        case .ticketPlacement: "ticket"
        case .ticketPlacementInform: "ticket-inform"
        case .ticketPlacementAck: "ticket-ack"
        case .ticketCancel: "cancel"
        case .ticketCancelAck: "cancel-ack"
        case .ticketCashout: "cashout"
        case .ticketCashoutAck: "cashout-ack"
        case .ticketExtSettlement: "ext-settlement"
        case .ticketExtSettlementAck: "ext-settlement-ack"
        case .casinoSessionsInform: "casino-sessions-inform"
        }
    }

    /// The content type of this operation's successful replies, e.g. `ticket-reply`.
    public var replyContentType: String { requestContentType + MTSContentType.replySuffix }
}
