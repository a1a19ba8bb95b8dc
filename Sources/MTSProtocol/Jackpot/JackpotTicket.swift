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

    /// The ticket id.
    public var id: String
    /// The ticket code.
    public var code: String
    /// The ticket price in cents.
    public var price: Int64
    /// The ticket amount in cents.
    public var stake: Int64
    /// ISO 4217 three-letter currency code.
    public var currency: String
    /// Gross payout in cents (`gross_payout`).
    public var grossPayout: Int64
    /// Net payout in cents (`net_payout`).
    public var netPayout: Int64
    /// Player withholding tax in cents (`wht_amount`).
    public var withholdingTaxAmount: Int64
    /// Withholding tax percentage (`wht`).
    public var withholdingTax: Double
    /// Excise tax in cents (`ext_amount`).
    public var exciseTaxAmount: Int64
    /// Excise tax percentage (`ext`).
    public var exciseTax: Double
    /// Excise tax type (`ext_type`), e.g. `inclusive`; an open set.
    public var exciseTaxType: String
    /// The ticket status.
    public var status: Status
    /// The ticket result.
    public var result: Result
    /// Whether the ticket is approved.
    public var approved: Bool
    /// Where the ticket was placed from.
    public var source: JackpotSource
    /// Always `jackpot`.
    public var type: String
    /// Affiliate tag; null and absent both read as nil.
    public var atag: String?
    /// The user id from the PAM (`user_id`).
    public var userId: String
    /// Created, UTC, `YYYY-MM-DDTHH:MM:SS.ffffff`.
    public var created: String
    /// Created, operator time zone (`operator_time_created`).
    public var operatorTimeCreated: String
    /// Updated, UTC, `YYYY-MM-DDTHH:MM:SS.ffffff`.
    public var updated: String
    /// Updated, operator time zone (`operator_time_updated`).
    public var operatorTimeUpdated: String
    /// The product of the odds of all events.
    public var odds: Double
    /// The betcard code (`betcard_code`).
    public var betcardCode: String
    /// The betcard prize.
    public var prize: Int64
    /// The betcard bonus prizes (`bonus_prizes`).
    public var bonusPrizes: [Int64]
    /// The whole body as parsed, unknown fields included.
    public var document: JSONObject
}
