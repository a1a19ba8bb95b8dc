import MTSProtocol

/// Draws exchange contents and renders Transaction 3.0 requests and replies shaped like the
/// seeds. The bodies are compact JSON built from generated values (letters, digits and
/// punctuation that needs no escaping).
public enum MessageFactory {
    /// The operator id every simulated request carries.
    public static let operatorId = 9985

    /// Currencies and their rate to EUR, the MTS system currency here.
    static let currencies: [(code: String, rateToEUR: Double)] = [
        ("EUR", 1), ("USD", 0.92648), ("GBP", 1.16395), ("mBTC", 61.25), ("BTC", 61_250.5),
    ]

    /// Ticket rejection codes the reference describes.
    static let ticketRejectionCodes: [Int64] = [-101, -102, -103, -105, -107, -401, -422, -713]

    /// Draws the content of exchange `correlationId` of `kind`, answered with `answer`.
    public static func content(
        correlationId: String, kind: RequestKind, answer: ExchangeContent.Answer,
        using random: inout SimulationRandom
    ) -> ExchangeContent {
        let currency = currencies[Int.random(in: 0..<currencies.count, using: &random)]
        let cents = Int.random(in: 100...50_000, using: &random)
        let oddsCents = Int.random(in: 101...1_500, using: &random)
        let (code, message) = codeAndMessage(kind: kind, answer: answer, using: &random)
        let jitter = 1 + (random.unit() - 0.5) / 100
        return ExchangeContent(
            ticketId: "T-\(correlationId)", betId: "B-\(correlationId)-1",
            cancellationId: "C-\(correlationId)",
            sessionId: "S-\(correlationId)", eventId: Int.random(in: 40_000_000...49_999_999, using: &random),
            odds: decimal(oddsCents, digits: 2), currency: currency.code, amount: decimal(cents, digits: 2),
            answer: answer, code: code, message: message, signature: signature(using: &random),
            exchangeRate: decimal(Int((currency.rateToEUR * jitter * 100_000_000).rounded()), digits: 8))
    }

    /// The request body, stamped `timestampUtc` (milliseconds since the epoch).
    public static func request(
        kind: RequestKind, correlationId: String, content c: ExchangeContent, timestampUtc: Int64
    ) -> [UInt8] {
        let body: String
        switch kind {
        case .ticketPlacement, .ticketPlacementInform:
            body =
                #"{"type":"\#(kind.requestContentType)","ticketId":"\#(c.ticketId)","bets":[{"betId":"\#(c.betId)","selections":[{"type":"uf","productId":"3","eventId":"sr:match:\#(c.eventId)","marketId":"1","outcomeId":"1","odds":{"type":"decimal","value":"\#(c.odds)"}}],"stake":[{"type":"cash","currency":"\#(c.currency)","amount":"\#(c.amount)","mode":"total"}]}],"context":{"channel":{"type":"internet","lang":"EN"},"limitId":4268}}"#
        case .ticketCancel:
            body =
                #"{"type":"cancel","cancellationId":"\#(c.cancellationId)","ticketId":"\#(c.ticketId)","details":{"type":"ticket","code":102}}"#
        case .casinoSessionsInform:
            body =
                #"{"type":"casino-sessions-inform","sessions":[{"sessionId":"\#(c.sessionId)","gameId":"slot-\#(c.eventId % 97)","currency":"\#(c.currency)","stake":"\#(c.amount)","win":"0.00","startedUtc":\#(timestampUtc - 60_000),"endedUtc":\#(timestampUtc)}]}"#
        }
        return Array(
            #"{"operatorId":\#(operatorId),"content":\#(body),"correlationId":"\#(correlationId)","timestampUtc":\#(timestampUtc),"operation":"\#(kind.operation)","version":"3.0"}"#
                .utf8)
    }

    /// A valid reply body, stamped `timestampUtc`.
    public static func reply(
        kind: RequestKind, correlationId: String, content c: ExchangeContent, timestampUtc: Int64
    ) -> [UInt8] {
        let body: String
        let status = c.answer == .accepted ? "accepted" : "rejected"
        switch (kind, c.answer) {
        case (_, .error):
            body = #"{"type":"error-reply","code":\#(c.code),"message":"\#(c.message)"}"#
        case (.ticketPlacement, _), (.ticketPlacementInform, _):
            var betDetails = ""
            if c.answer == .rejected {
                let suggestion =
                    c.code == -713
                    ? #","suggestion":{"type":"alt-stake","stake":{"type":"cash","currency":"\#(c.currency)","amount":"1.00","mode":"total"}}"#
                    : ""
                betDetails =
                    #","betDetails":[{"betId":"\#(c.betId)","code":\#(c.code),"message":"\#(c.message)"\#(suggestion)}]"#
            }
            body =
                #"{"type":"\#(kind.replyContentType)","signature":"\#(c.signature)","status":"\#(status)","ticketId":"\#(c.ticketId)","code":\#(c.code),"message":"\#(c.message)"\#(betDetails),"exchangeRate":[{"fromCurrency":"\#(c.currency)","toCurrency":"EUR","rate":"\#(c.exchangeRate)"}]}"#
        case (.ticketCancel, _):
            body =
                #"{"type":"cancel-reply","cancellationId":"\#(c.cancellationId)","signature":"\#(c.signature)","status":"\#(status)","ticketId":"\#(c.ticketId)","code":\#(c.code),"message":"\#(c.message)"}"#
        case (.casinoSessionsInform, _):
            body = #"{"type":"casino-sessions-inform-reply","code":\#(c.code),"message":"\#(c.message)"}"#
        }
        return Array(
            #"{"content":\#(body),"correlationId":"\#(correlationId)","timestampUtc":\#(timestampUtc),"operation":"\#(kind.operation)","version":"3.0"}"#
                .utf8)
    }

    /// The code and message of a reply of `kind` answered with `answer`.
    static func codeAndMessage(
        kind: RequestKind, answer: ExchangeContent.Answer, using random: inout SimulationRandom
    ) -> (Int64, String) {
        switch (answer, kind) {
        case (.accepted, _):
            return (0, "Transaction processed")
        case (.error, _):
            return (-999, "Internal error, the request was not processed")
        case (.rejected, .ticketCancel):
            let codes = MTSCodes.cancellation.keys.filter { $0 != 0 }.sorted()
            let code = codes[Int.random(in: 0..<codes.count, using: &random)]
            return (code, MTSCodes.cancellation[code]!)
        case (.rejected, .casinoSessionsInform):
            return (-999, "Generic exception code")
        case (.rejected, .ticketPlacement), (.rejected, .ticketPlacementInform):
            let code = ticketRejectionCodes[Int.random(in: 0..<ticketRejectionCodes.count, using: &random)]
            return (code, MTSCodes.describe(code, contentType: kind.replyContentType).text)
        }
    }

    /// `value` hundredths (or 10^-digits units) as a decimal string, e.g. `1050` → `10.50`.
    static func decimal(_ value: Int, digits: Int) -> String {
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let fraction = String(value % scale)
        return "\(value / scale)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    /// 44 characters of base64 (32 random bytes), like the seeds' signatures.
    static func signature(using random: inout SimulationRandom) -> String {
        String(unsafeUninitializedCapacity: 44) { text in
            for index in 0..<42 { text[index] = base64Alphabet[Int(random.next() % 64)] }
            // 32 bytes = 256 bits: the 43rd character carries 4 bits, then one pad character.
            text[42] = base64Alphabet[Int(random.next() % 16) * 4]
            text[43] = UInt8(ascii: "=")
            return 44
        }
    }

    private static let base64Alphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}
