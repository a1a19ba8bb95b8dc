/// One event of a jackpot ticket request (`events[]`).
public struct JackpotEvent: Sendable, Hashable {
    /// The event id.
    public var id: Int64
    /// The event's bet id.
    public var bet: Int64
    /// The decimal odds at submission, with at most 2 digits after the point.
    public var odds: Double

    /// An event with `id`, `bet` and `odds`.
    public init(id: Int64, bet: Int64, odds: Double) {
        self.id = id
        self.bet = bet
        self.odds = odds
    }
}
