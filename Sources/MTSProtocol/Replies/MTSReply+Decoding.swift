extension MTSReply {
    /// Parses and validates one reply body.
    ///
    /// Strict where the seeds are (mandatory fields, exact JSON types, lengths, ranges,
    /// enumerations, currency codes, rates, `version` `3.0`, a content type that fits the
    /// operation), lenient where the relay carries data through (unknown fields, operations the
    /// catalogue does not detail, unknown codes). Never throws and never traps: a message that is
    /// not JSON, or not an object, is one violation at `$`.
    public static func decode(_ bytes: [UInt8]) -> DecodedReply {
        var validator = FieldValidator()
        guard let document = EnvelopeFields.parseObject(bytes, with: &validator) else {
            return DecodedReply(reply: nil, summary: MTSReplySummary(nil), violations: validator.violations)
        }
        let envelope = EnvelopeFields(document, with: &validator)
        var content: MTSReplyContent? = nil
        if let object = envelope.content, let type = envelope.contentType {
            content = validateContent(object, type: type, operation: envelope.operation, with: &validator)
        }
        let summary = MTSReplySummary(document)
        guard validator.violations.isEmpty, let correlationId = envelope.correlationId,
            let timestampUtc = envelope.timestampUtc, let operation = envelope.operation,
            let version = envelope.version, let content
        else {
            return DecodedReply(reply: nil, summary: summary, violations: validator.violations)
        }
        let reply = MTSReply(
            correlationId: correlationId, timestampUtc: timestampUtc, operation: operation, version: version,
            content: content, document: document)
        return DecodedReply(reply: reply, summary: summary, violations: [])
    }

    /// Chooses the content's model by its type and checks that the type fits the operation.
    private static func validateContent(
        _ object: JSONObject, type: String, operation: String?, with validator: inout FieldValidator
    ) -> MTSReplyContent? {
        let path = JSONPath.root.appending("content")
        if type == MTSContentType.errorReply {
            return ErrorReply.validate(object, type: type, at: path, with: &validator).map(
                MTSReplyContent.error)
        }
        // Operations outside the catalogue (or no readable operation): envelope checks only.
        guard let operation, let known = MTSOperation(rawValue: operation) else {
            return .generic(GenericReply.lenient(object, type: type))
        }
        guard type == known.replyContentType else {
            validator.report(
                "\(FieldValidator.quote(type)) does not answer operation \(FieldValidator.quote(operation))"
                    + " (expected \(known.replyContentType) or \(MTSContentType.errorReply))",
                at: path.appending("type"))
            return nil
        }
        switch known {
        case .ticketPlacement, .ticketPlacementInform:
            return TicketReply.validate(object, type: type, at: path, with: &validator).map(
                MTSReplyContent.ticket)
        case .ticketCancel:
            return CancelReply.validate(object, type: type, at: path, with: &validator).map(
                MTSReplyContent.cancel)
        case .casinoSessionsInform:
            return CasinoSessionsInformReply.validate(object, type: type, at: path, with: &validator)
                .map(MTSReplyContent.casinoSessionsInform)
        case .ticketPlacementAck, .ticketCancelAck, .ticketCashout, .ticketCashoutAck, .ticketExtSettlement,
            .ticketExtSettlementAck:
            return GenericReply.validate(object, type: type, at: path, with: &validator).map(
                MTSReplyContent.generic)
        }
    }
}
