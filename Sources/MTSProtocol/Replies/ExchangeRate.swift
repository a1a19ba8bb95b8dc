/// One conversion rate MTS applied between the bet currency and its system currency.
public struct ExchangeRate: Sendable, Hashable {
    /// A currency code: 3 capital letters, or `mBTC`.
    public var fromCurrency: String
    /// A currency code: 3 capital letters, or `mBTC`.
    public var toCurrency: String
    /// Non-system currency units per system currency unit, as sent: `^\d{1,8}(\.\d{1,8})?$`.
    public var rate: String
}
