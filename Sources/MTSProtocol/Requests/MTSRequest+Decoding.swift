extension MTSRequest {
    /// Parses and validates one request body: the envelope rules of replies, plus a mandatory
    /// integer `operatorId`, an optional `content.ticketId` of 1-128 characters, and a content type
    /// that is the operation's request type where the catalogue details the operation.
    /// Never throws and never traps.
    public static func decode(_ bytes: [UInt8]) -> DecodedRequest {
        var validator = FieldValidator()
        guard let document = EnvelopeFields.parseObject(bytes, with: &validator) else {
            return DecodedRequest(
                request: nil, summary: MTSRequestSummary(nil), violations: validator.violations)
        }
        let envelope = EnvelopeFields(document, with: &validator)
        let operatorId = validator.int64("operatorId", of: document, at: .root)
        let contentPath = JSONPath.root.appending("content")
        var ticketId: String? = nil
        if let content = envelope.content {
            ticketId = validator.storable(
                validator.string("ticketId", of: content, at: contentPath, required: false, length: 1...128),
                at: contentPath.appending("ticketId"))
        }
        if let type = envelope.contentType, let operation = envelope.operation,
            let known = MTSOperation(rawValue: operation), type != known.requestContentType
        {
            validator.report(
                "\(FieldValidator.quote(type)) is not the request type of operation \(FieldValidator.quote(operation))"
                    + " (expected \(known.requestContentType))",
                at: contentPath.appending("type"))
        }
        let summary = MTSRequestSummary(document)
        guard validator.violations.isEmpty, let correlationId = envelope.correlationId,
            let timestampUtc = envelope.timestampUtc, let operation = envelope.operation,
            let version = envelope.version, let operatorId, let contentType = envelope.contentType
        else {
            return DecodedRequest(request: nil, summary: summary, violations: validator.violations)
        }
        let request = MTSRequest(
            correlationId: correlationId, timestampUtc: timestampUtc, operation: operation, version: version,
            operatorId: operatorId, contentType: contentType, ticketId: ticketId, document: document)
        return DecodedRequest(request: request, summary: summary, violations: [])
    }
}
