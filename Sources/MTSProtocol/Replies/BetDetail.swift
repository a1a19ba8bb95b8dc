/// The outcome of one bet of a ticket, from `ticket-reply.betDetails`.
public struct BetDetail: Sendable, Hashable {
    /// The bet's id as the client gave it, 1-128 characters.
    public var betId: String
    /// The bet's validation code.
    public var code: Int64
    /// The code's readable text, 1-128 characters.
    public var message: String?
    /// The outcome of each selection of the bet.
    public var selectionDetails: [SelectionDetail]?
    /// An alternative stake or a reoffer, when MTS proposes one.
    public var suggestion: BetSuggestion?
}
