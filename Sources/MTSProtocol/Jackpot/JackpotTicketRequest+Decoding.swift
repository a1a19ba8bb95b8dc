extension JackpotTicketRequest {
    /// Parses and validates a `POST /be/tickets` body, reporting every rule it breaks.
    ///
    /// Mandatory: `operator`, `token`, `price`, `currency`, `source`, `type` (`jackpot`),
    /// `odds_diff` (≥ 0), `events` (at least one; each `id`, `bet`, `odds` > 0 with at most
    /// 2 decimals), `betcard_code`. Optional: `atag` (string or null), `prize`, `bonus_prizes`,
    /// `psp`, `rtag`.
    public static func decode(_ bytes: [UInt8]) -> Validated<JackpotTicketRequest> {
        var validator = FieldValidator()
        guard let object = EnvelopeFields.parseObject(bytes, with: &validator) else {
            return Validated(value: nil, violations: validator.violations)
        }
        let root = JSONPath.root
        let operatorName = validator.string("operator", of: object, at: root, length: 1...Int.max)
        let token = validator.string("token", of: object, at: root, length: 1...Int.max)
        let price = validator.cents("price", of: object, at: root)
        let currency = validator.isoCurrency("currency", of: object, at: root)
        let atag = validator.nullableString("atag", of: object, at: root)
        let source = validator.enumeration(JackpotSource.self, "source", of: object, at: root)
        let type = validator.constant("jackpot", "type", of: object, at: root)
        var oddsDifference = validator.double("odds_diff", of: object, at: root)
        if let value = oddsDifference, !(value >= 0) {
            validator.report("\(value) is below 0", at: root.appending("odds_diff"))
            oddsDifference = nil
        }
        var events: [JackpotEvent]? = nil
        if let array = validator.array("events", of: object, at: root) {
            if array.isEmpty { validator.report("no events", at: root.appending("events")) }
            events = validator.elements(of: array, at: root.appending("events")) { validator, value, path in
                JackpotEvent.validate(value, at: path, with: &validator)
            }
        }
        let betcardCode = validator.string("betcard_code", of: object, at: root)
        let prize = validator.cents("prize", of: object, at: root, required: false)
        let bonusPrizes = validator.int64Array("bonus_prizes", of: object, at: root, required: false)
        let psp = validator.string("psp", of: object, at: root, required: false)
        let rtag = validator.string("rtag", of: object, at: root, required: false)
        guard validator.violations.isEmpty, let operatorName, let token, let price, let currency, let atag,
            let source, let type, let oddsDifference, let events, let betcardCode
        else {
            return Validated(value: nil, violations: validator.violations)
        }
        let request = JackpotTicketRequest(
            operatorName: operatorName, token: token, price: price, currency: currency, atag: atag,
            source: source,
            type: type, oddsDifference: oddsDifference, events: events, betcardCode: betcardCode,
            prize: prize,
            bonusPrizes: bonusPrizes, psp: psp, rtag: rtag, document: object)
        return Validated(value: request, violations: [])
    }
}

extension JackpotEvent {
    /// Reads one `events` element, reporting every rule it breaks.
    static func validate(
        _ value: JSONValue, at path: JSONPath, with validator: inout FieldValidator
    )
        -> JackpotEvent?
    {
        guard let object = validator.object(value, at: path) else { return nil }
        let id = validator.int64("id", of: object, at: path)
        let bet = validator.int64("bet", of: object, at: path)
        var odds: Double? = nil
        if let number = validator.number("odds", of: object, at: path) {
            if number.fractionDigitCount > 2 {
                validator.report(
                    "\(number.text) has more than 2 digits after the point", at: path.appending("odds"))
            } else if !(number.doubleValue > 0) {
                validator.report("\(number.text) is not above 0", at: path.appending("odds"))
            } else {
                odds = number.doubleValue
            }
        }
        guard let id, let bet, let odds else { return nil }
        return JackpotEvent(id: id, bet: bet, odds: odds)
    }
}
