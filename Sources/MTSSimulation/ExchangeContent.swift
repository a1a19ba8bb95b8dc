/// The business data of one exchange: what its request and replies say, drawn once so that
/// every copy of a reply is the same.
public struct ExchangeContent: Sendable, Hashable {
    /// How the simulated MTS answers.
    public enum Answer: String, Sendable, Hashable, Codable {
        case accepted, rejected
        /// `error-reply`: MTS refused the request before processing.
        case error
    }

    public var ticketId: String
    public var betId: String
    public var cancellationId: String
    public var sessionId: String
    public var eventId: Int
    /// Decimal odds with two digits, e.g. `2.10`.
    public var odds: String
    /// The stake currency: 3 capital letters, or `mBTC`.
    public var currency: String
    /// The stake, e.g. `10.00`.
    public var amount: String
    public var answer: Answer
    /// The reply's `content.code`.
    public var code: Int64
    /// The reply's `content.message`, 1-128 characters.
    public var message: String
    /// Base64 of 32 bytes, like MTS's signatures.
    public var signature: String
    /// The rate from `currency` to EUR, matching `^\d{1,8}(\.\d{1,8})?$`.
    public var exchangeRate: String
}
