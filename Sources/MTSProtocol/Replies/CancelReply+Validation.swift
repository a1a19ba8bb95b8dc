extension CancelReply {
    /// Reads a `cancel-reply` content object, reporting every rule it breaks; nil when it breaks any.
    static func validate(
        _ object: JSONObject, type: String, at path: JSONPath, with validator: inout FieldValidator
    )
        -> CancelReply?
    {
        let before = validator.violations.count
        let cancellationId = validator.string(
            "cancellationId", of: object, at: path, required: false, length: 1...128)
        let signature = validator.string("signature", of: object, at: path, length: 1...128)
        let status = validator.enumeration(ReplyStatus.self, "status", of: object, at: path)
        // The seed states no length for a cancellation's ticketId.
        let ticketId = validator.string("ticketId", of: object, at: path)
        let code = validator.int64("code", of: object, at: path)
        let message = validator.string("message", of: object, at: path, required: false, length: 1...128)
        guard validator.violations.count == before, let signature, let status, let ticketId, let code else {
            return nil
        }
        return CancelReply(
            type: type, cancellationId: cancellationId, signature: signature, status: status,
            ticketId: ticketId,
            code: code, message: message)
    }
}

extension CasinoSessionsInformReply {
    /// Reads a `casino-sessions-inform-reply` content object, reporting every rule it breaks.
    static func validate(
        _ object: JSONObject, type: String, at path: JSONPath, with validator: inout FieldValidator
    )
        -> CasinoSessionsInformReply?
    {
        let code = validator.int64("code", of: object, at: path)
        let message = validator.string("message", of: object, at: path, length: 1...128)
        guard let code, let message else { return nil }
        return CasinoSessionsInformReply(type: type, code: code, message: message)
    }
}

extension ErrorReply {
    /// Reads an `error-reply` content object, reporting every rule it breaks.
    static func validate(
        _ object: JSONObject, type: String, at path: JSONPath, with validator: inout FieldValidator
    )
        -> ErrorReply?
    {
        let code = validator.int64("code", of: object, at: path)
        let message = validator.string("message", of: object, at: path)
        guard let code, let message else { return nil }
        return ErrorReply(type: type, code: code, message: message)
    }
}

extension GenericReply {
    /// Reads the content of a catalogued reply without detail (`cashout-reply`, `*-ack-reply`):
    /// `code` is a mandatory integer, `message` an optional string.
    static func validate(
        _ object: JSONObject, type: String, at path: JSONPath, with validator: inout FieldValidator
    )
        -> GenericReply?
    {
        let code = validator.int64("code", of: object, at: path)
        let message = validator.string("message", of: object, at: path, required: false)
        let messageBroken = object["message"] != nil && message == nil
        guard let code, !messageBroken else { return nil }
        return GenericReply(type: type, code: code, message: message)
    }

    /// Reads the content of a reply with envelope checks only: code and message where they have
    /// the right type, nothing reported.
    static func lenient(_ object: JSONObject, type: String) -> GenericReply {
        GenericReply(type: type, code: object["code"]?.int64Value, message: object["message"]?.stringValue)
    }
}
