extension TicketReply {
    /// Reads a `ticket-reply` or `ticket-inform-reply` content object of `type`, reporting every
    /// rule it breaks; nil when it breaks any.
    static func validate(
        _ object: JSONObject, type: String, at path: JSONPath, with validator: inout FieldValidator
    )
        -> TicketReply?
    {
        let before = validator.violations.count
        let signature = validator.string("signature", of: object, at: path, length: 1...128)
        let status = validator.enumeration(ReplyStatus.self, "status", of: object, at: path)
        let ticketId = validator.string("ticketId", of: object, at: path, length: 1...128)
        let code = validator.int64("code", of: object, at: path)
        let message = validator.string("message", of: object, at: path, required: false, length: 1...128)
        var betDetails: [BetDetail]? = nil
        if let array = validator.array("betDetails", of: object, at: path, required: false) {
            betDetails = validator.elements(of: array, at: path.appending("betDetails")) {
                BetDetail.validate($1, at: $2, with: &$0)
            }
        }
        var exchangeRate: [ExchangeRate]? = nil
        if let array = validator.array("exchangeRate", of: object, at: path, required: false) {
            exchangeRate = validator.elements(of: array, at: path.appending("exchangeRate")) {
                ExchangeRate.validate($1, at: $2, with: &$0)
            }
        }
        guard validator.violations.count == before, let signature, let status, let ticketId, let code else {
            return nil
        }
        return TicketReply(
            type: type, signature: signature, status: status, ticketId: ticketId, code: code,
            message: message,
            betDetails: betDetails, exchangeRate: exchangeRate)
    }
}
