extension ExchangeRate {
    /// The pattern `rate` must match, as the pre-validated ticket placement seed gives it.
    public static let ratePattern = #"^\d{1,8}(\.\d{1,8})?$"#

    /// Reads one `exchangeRate` element, reporting every rule it breaks.
    static func validate(
        _ value: JSONValue, at path: JSONPath, with validator: inout FieldValidator
    ) -> ExchangeRate? {
        guard let object = validator.object(value, at: path) else { return nil }
        let from = validator.currency("fromCurrency", of: object, at: path)
        let to = validator.currency("toCurrency", of: object, at: path)
        var rate = validator.string("rate", of: object, at: path)
        if let text = rate, !isRate(text) {
            validator.report(
                "\(FieldValidator.quote(text)) does not match \(ratePattern)", at: path.appending("rate"))
            rate = nil
        }
        guard let from, let to, let rate else { return nil }
        return ExchangeRate(fromCurrency: from, toCurrency: to, rate: rate)
    }

    /// Whether `text` matches `^\d{1,8}(\.\d{1,8})?$` (ASCII digits only).
    static func isRate(_ text: String) -> Bool {
        let utf8 = text.utf8
        var integerDigits = 0
        var fractionDigits = 0
        var sawPoint = false
        for byte in utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if sawPoint { fractionDigits += 1 } else { integerDigits += 1 }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                return false
            }
        }
        return (1...8).contains(integerDigits) && (sawPoint ? (1...8).contains(fractionDigits) : true)
    }
}

extension FieldValidator {
    /// A currency code member: 3 capital letters (ISO 4217, and `BTC`), or exactly `mBTC`.
    mutating func currency(_ key: String, of object: JSONObject, at path: JSONPath) -> String? {
        guard let code = string(key, of: object, at: path) else { return nil }
        guard Self.isCurrencyCode(code) else {
            report(
                "\(Self.quote(code)) is not a currency code (3 capital letters, or mBTC)",
                at: path.appending(key))
            return nil
        }
        return code
    }

    static func isCurrencyCode(_ code: String) -> Bool {
        if code == "mBTC" { return true }
        let utf8 = code.utf8
        return utf8.count == 3 && utf8.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }
}
