extension FieldValidator {
    /// An amount of money in integer cents, never negative.
    mutating func cents(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool = true
    ) -> Int64? {
        int64(key, of: object, at: path, required: required, range: 0...Int64.max)
    }

    /// A float member (any JSON number) as a `Double`.
    mutating func double(_ key: String, of object: JSONObject, at path: JSONPath) -> Double? {
        number(key, of: object, at: path)?.doubleValue
    }

    /// An ISO 4217 code: exactly 3 capital letters.
    mutating func isoCurrency(_ key: String, of object: JSONObject, at path: JSONPath) -> String? {
        guard let code = string(key, of: object, at: path) else { return nil }
        guard code.utf8.count == 3,
            code.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
        else {
            report("\(Self.quote(code)) is not an ISO 4217 code (3 capital letters)", at: path.appending(key))
            return nil
        }
        return code
    }

    /// An optional string that may also be null.
    mutating func nullableString(_ key: String, of object: JSONObject, at path: JSONPath) -> String?? {
        switch object[key] {
        case nil, .null?: return .some(nil)
        case let value?: return string(value, at: path.appending(key)).map { .some($0) }
        }
    }

    /// An array of integers.
    mutating func int64Array(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool = true
    )
        -> [Int64]?
    {
        guard let array = array(key, of: object, at: path, required: required) else { return nil }
        let before = violations.count
        let values = elements(of: array, at: path.appending(key)) { $0.int64($1, at: $2) }
        return violations.count == before ? values : nil
    }

    /// A date-time `YYYY-MM-DDTHH:MM:SS.ffffff` without a zone.
    mutating func dateTime(_ key: String, of object: JSONObject, at path: JSONPath) -> String? {
        guard let text = string(key, of: object, at: path) else { return nil }
        guard Self.isJackpotDateTime(text) else {
            report(
                "\(Self.quote(text)) is not a date-time YYYY-MM-DDTHH:MM:SS.ffffff", at: path.appending(key))
            return nil
        }
        return text
    }

    static func isJackpotDateTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 26 else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, ".")]
        guard separators.allSatisfy({ bytes[$0.0] == $0.1.asciiValue }) else { return false }
        guard number(0..<4) != nil, let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), number(20..<26) != nil
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day) && hour < 24 && minute < 60 && second < 60
    }
}
