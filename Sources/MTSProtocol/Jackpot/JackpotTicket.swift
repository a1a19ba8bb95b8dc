/// A jackpot ticket, the body of a 200 answer to `POST /be/tickets` (seed 003, reference §3).
///
/// Money is in integer cents; percentages and odds are floats; date-times are
/// `YYYY-MM-DDTHH:MM:SS.ffffff` without a zone (`created`/`updated` UTC, `operatorTime*` local).
public struct JackpotTicket: Sendable, Hashable {
    /// The ticket's life-cycle state.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case new, cancelled, reserved, open, calculating, resulted, closed
    }

    /// The ticket's result.
    public enum Result: String, Sendable, Hashable, CaseIterable {
        case pending, won, lost, void
    }

    public var id: String
    public var code: String
    public var price: Int64
    public var stake: Int64
    public var currency: String
    public var grossPayout: Int64
    public var netPayout: Int64
    public var withholdingTaxAmount: Int64
    /// Withholding tax percentage (`wht`).
    public var withholdingTax: Double
    public var exciseTaxAmount: Int64
    /// Excise tax percentage (`ext`).
    public var exciseTax: Double
    /// Excise tax type (`ext_type`), e.g. `inclusive`; an open set.
    public var exciseTaxType: String
    public var status: Status
    public var result: Result
    public var approved: Bool
    public var source: JackpotSource
    /// Always `jackpot`.
    public var type: String
    public var atag: String?
    public var userId: String
    public var created: String
    public var operatorTimeCreated: String
    public var updated: String
    public var operatorTimeUpdated: String
    /// The product of the odds of all events.
    public var odds: Double
    public var betcardCode: String
    public var prize: Int64
    public var bonusPrizes: [Int64]
    /// The whole body as parsed, unknown fields included.
    public var document: JSONObject
}
