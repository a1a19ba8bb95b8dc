/// The Transaction 3.0 requests the simulated platform sends, by operation.
public enum RequestKind: String, Sendable, Hashable, CaseIterable, Codable {
    case ticketPlacement = "ticket-placement"
    case ticketPlacementInform = "ticket-placement-inform"
    case ticketCancel = "ticket-cancel"
    case casinoSessionsInform = "casino-sessions-inform"

    /// The operation name, as in the envelope's `operation`.
    public var operation: String { rawValue }

    /// The request's `content.type`.
    public var requestContentType: String {
        switch self {
        case .ticketPlacement: "ticket"
        case .ticketPlacementInform: "ticket-inform"
        case .ticketCancel: "cancel"
        case .casinoSessionsInform: "casino-sessions-inform"
        }
    }

    /// The successful reply's `content.type`.
    public var replyContentType: String { requestContentType + "-reply" }
}
