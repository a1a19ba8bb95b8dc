extension BetDetail {
    /// Reads one `betDetails` element, reporting every rule it breaks.
    static func validate(
        _ value: JSONValue, at path: JSONPath, with validator: inout FieldValidator
    ) -> BetDetail? {
        guard let object = validator.object(value, at: path) else { return nil }
        let before = validator.violations.count
        let betId = validator.string("betId", of: object, at: path, length: 1...128)
        let code = validator.int64("code", of: object, at: path)
        let message = validator.string("message", of: object, at: path, required: false, length: 1...128)
        var selectionDetails: [SelectionDetail]? = nil
        if let array = validator.array("selectionDetails", of: object, at: path, required: false) {
            selectionDetails = validator.elements(of: array, at: path.appending("selectionDetails")) {
                SelectionDetail.validate($1, at: $2, with: &$0)
            }
        }
        var suggestion: BetSuggestion? = nil
        if let value = validator.member("suggestion", of: object, at: path, required: false) {
            suggestion = BetSuggestion.validate(value, at: path.appending("suggestion"), with: &validator)
        }
        guard validator.violations.count == before, let betId, let code else { return nil }
        return BetDetail(
            betId: betId, code: code, message: message, selectionDetails: selectionDetails,
            suggestion: suggestion)
    }
}

extension SelectionDetail {
    /// Reads one `selectionDetails` element, reporting every rule it breaks.
    static func validate(
        _ value: JSONValue, at path: JSONPath, with validator: inout FieldValidator
    )
        -> SelectionDetail?
    {
        guard let object = validator.object(value, at: path) else { return nil }
        let selection = validator.object("selection", of: object, at: path)
        let code = validator.int64("code", of: object, at: path)
        let message = validator.string("message", of: object, at: path, required: false, length: 1...128)
        let messageBroken = object["message"] != nil && message == nil
        let autoAcceptedOdds = object["autoAcceptedOdds"]
        guard let selection, let code, !messageBroken else { return nil }
        return SelectionDetail(
            selection: selection, code: code, message: message, autoAcceptedOdds: autoAcceptedOdds)
    }
}

extension BetSuggestion {
    /// Reads a `suggestion` object, reporting every rule it breaks.
    static func validate(
        _ value: JSONValue, at path: JSONPath, with validator: inout FieldValidator
    )
        -> BetSuggestion?
    {
        guard let object = validator.object(value, at: path) else { return nil }
        guard let kind = validator.enumeration(Kind.self, "type", of: object, at: path) else { return nil }
        switch kind {
        case .alternativeStake:
            guard let stake = validator.object("stake", of: object, at: path) else { return nil }
            return .alternativeStake(stake: stake)
        case .reoffer:
            let mode = validator.enumeration(ReofferMode.self, "mode", of: object, at: path)
            let before = validator.violations.count
            var stakes: [JSONObject]? = nil
            if let array = validator.array("stake", of: object, at: path) {
                stakes = validator.elements(of: array, at: path.appending("stake")) { $0.object($1, at: $2) }
            }
            guard let mode, let stakes, validator.violations.count == before else { return nil }
            return .reoffer(mode: mode, stakes: stakes)
        }
    }
}
