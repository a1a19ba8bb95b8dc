extension JackpotTicket {
    /// Parses and validates the body of a 200 answer, reporting every rule it breaks.
    /// Every field of the seed's response table is mandatory except `atag` (string or null).
    public static func decode(_ bytes: [UInt8]) -> Validated<JackpotTicket> {
        var validator = FieldValidator()
        guard let object = EnvelopeFields.parseObject(bytes, with: &validator) else {
            return Validated(value: nil, violations: validator.violations)
        }
        let ticket = validate(object, with: &validator)
        return Validated(value: validator.violations.isEmpty ? ticket : nil, violations: validator.violations)
    }

    static func validate(_ object: JSONObject, with validator: inout FieldValidator) -> JackpotTicket? {
        let root = JSONPath.root
        let id = validator.string("id", of: object, at: root)
        let code = validator.string("code", of: object, at: root)
        let price = validator.cents("price", of: object, at: root)
        let stake = validator.cents("stake", of: object, at: root)
        let currency = validator.isoCurrency("currency", of: object, at: root)
        let grossPayout = validator.cents("gross_payout", of: object, at: root)
        let netPayout = validator.cents("net_payout", of: object, at: root)
        let whtAmount = validator.cents("wht_amount", of: object, at: root)
        let wht = validator.double("wht", of: object, at: root)
        let extAmount = validator.cents("ext_amount", of: object, at: root)
        let ext = validator.double("ext", of: object, at: root)
        let extType = validator.string("ext_type", of: object, at: root)
        let status = validator.enumeration(Status.self, "status", of: object, at: root)
        let result = validator.enumeration(Result.self, "result", of: object, at: root)
        let approved = validator.bool("approved", of: object, at: root)
        let source = validator.enumeration(JackpotSource.self, "source", of: object, at: root)
        let type = validator.constant("jackpot", "type", of: object, at: root)
        let atag = validator.nullableString("atag", of: object, at: root)
        let userId = validator.string("user_id", of: object, at: root)
        let created = validator.dateTime("created", of: object, at: root)
        let operatorTimeCreated = validator.dateTime("operator_time_created", of: object, at: root)
        let updated = validator.dateTime("updated", of: object, at: root)
        let operatorTimeUpdated = validator.dateTime("operator_time_updated", of: object, at: root)
        let odds = validator.double("odds", of: object, at: root)
        let betcardCode = validator.string("betcard_code", of: object, at: root)
        let prize = validator.cents("prize", of: object, at: root)
        let bonusPrizes = validator.int64Array("bonus_prizes", of: object, at: root)
        guard let id, let code, let price, let stake, let currency, let grossPayout, let netPayout,
            let whtAmount,
            let wht, let extAmount, let ext, let extType, let status, let result, let approved, let source,
            let type,
            let atag, let userId, let created, let operatorTimeCreated, let updated, let operatorTimeUpdated,
            let odds, let betcardCode, let prize, let bonusPrizes
        else { return nil }
        return JackpotTicket(
            id: id, code: code, price: price, stake: stake, currency: currency, grossPayout: grossPayout,
            netPayout: netPayout, withholdingTaxAmount: whtAmount, withholdingTax: wht,
            exciseTaxAmount: extAmount,
            exciseTax: ext, exciseTaxType: extType, status: status, result: result, approved: approved,
            source: source, type: type, atag: atag, userId: userId, created: created,
            operatorTimeCreated: operatorTimeCreated, updated: updated,
            operatorTimeUpdated: operatorTimeUpdated,
            odds: odds, betcardCode: betcardCode, prize: prize, bonusPrizes: bonusPrizes, document: object)
    }
}

extension JackpotTicketOutcome {
    /// Reads an answer to `POST /be/tickets` with HTTP status `httpStatus` and body `body`.
    ///
    /// 200 needs a valid ticket; 400 and 422 need a JSON body (kept as parsed); 403 keeps its body
    /// when it is JSON and ignores it otherwise. Any other status is a violation at `$`.
    public static func decode(httpStatus: Int, body: [UInt8]) -> Validated<JackpotTicketOutcome> {
        switch httpStatus {
        case 200:
            let ticket = JackpotTicket.decode(body)
            return Validated(
                value: ticket.value.map(JackpotTicketOutcome.created), violations: ticket.violations)
        case 400, 422:
            var validator = FieldValidator()
            let parsed: JSONValue?
            do {
                parsed = try JSONValue.parse(body)
            } catch {
                validator.report(error.description, at: .root, kind: .notAnObject)
                parsed = nil
            }
            guard validator.violations.isEmpty else {
                return Validated(value: nil, violations: validator.violations)
            }
            let outcome: JackpotTicketOutcome =
                httpStatus == 400 ? .badRequest(body: parsed) : .validationError(body: parsed)
            return Validated(value: outcome, violations: [])
        case 403:
            return Validated(value: .forbidden(body: try? JSONValue.parse(body)), violations: [])
        default:
            let allowed = httpStatuses.map(String.init).joined(separator: ", ")
            return Validated(
                value: nil,
                violations: [
                    Violation(path: "$", reason: "HTTP status \(httpStatus) is not one of \(allowed)")
                ])
        }
    }
}
