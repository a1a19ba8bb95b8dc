/// The body of `POST /be/tickets`: a request to create a jackpot ticket (seed 003, reference §3).
///
/// Money is in integer cents; `oddsDifference` is a float.
public struct JackpotTicketRequest: Sendable, Hashable {
    /// The operator's name as registered (`operator`).
    public var operatorName: String
    /// The player identification token.
    public var token: String
    /// The ticket price in cents.
    public var price: Int64
    /// ISO 4217 three-letter currency code.
    public var currency: String
    /// Affiliate tag; null and absent both read as nil.
    public var atag: String?
    /// Where the ticket was placed from.
    public var source: JackpotSource
    /// Always `jackpot`.
    public var type: String
    /// The largest odds deviation still accepted (`odds_diff`); 0 refuses any change.
    public var oddsDifference: Double
    /// The events bet on.
    public var events: [JackpotEvent]
    /// The betcard code.
    public var betcardCode: String
    /// The betcard prize, where sent.
    public var prize: Int64?
    /// The betcard bonus prizes, where sent.
    public var bonusPrizes: [Int64]?
    /// Payment service provider, where sent.
    public var psp: String?
    /// Tracking tag, where sent.
    public var rtag: String?
    /// The whole body as parsed, unknown fields included.
    public var document: JSONObject
}
