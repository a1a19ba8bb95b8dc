/// Turns a consumed message (its bytes and its AMQP `correlation_id` property) into a valid
/// envelope or a typed rejection. Pure: no IO, no clock; the intake, the reply queues and the
/// tools classify the same way.
///
/// Rules beyond the schema's:
/// - A body larger than the limit is rejected unparsed.
/// - The AMQP `correlation_id` property and the body's `correlationId` must agree when both
///   are present. A body without a `correlationId` takes the property's; its "missing"
///   violation is then dropped, and the property must be text the store can hold
///   (``StorableText``).
public struct MessageClassifier: Sendable {
    /// The largest body accepted, in bytes.
    public var maxMessageBytes: Int
    /// The configuration key that sets ``maxMessageBytes``, named in the rejection.
    public var limitKey: String

    public init(maxMessageBytes: Int, limitKey: String) {
        self.maxMessageBytes = maxMessageBytes
        self.limitKey = limitKey
    }

    /// Classifies a request read from the intake.
    public func request(_ body: [UInt8], correlationProperty: String?) -> ClassifiedMessage<MTSRequestSummary>
    {
        classify(body, correlationProperty: correlationProperty) {
            let decoded = MTSRequest.decode($0)
            return (decoded.summary, decoded.violations)
        }
    }

    /// Classifies a reply read from an MTS reply queue.
    public func reply(_ body: [UInt8], correlationProperty: String?) -> ClassifiedMessage<MTSReplySummary> {
        classify(body, correlationProperty: correlationProperty) {
            let decoded = MTSReply.decode($0)
            return (decoded.summary, decoded.violations)
        }
    }

    /// Classifies a jackpot ticket request (``JackpotTicketRequest``), read at `receivedAt` (ms
    /// since the epoch): its correlation id is the AMQP property, which it must have.
    public func jackpot(
        _ body: [UInt8], correlationProperty: String?, receivedAt: Int64
    ) -> ClassifiedMessage<JackpotRequestSummary> {
        let property = correlationProperty.flatMap { $0.isEmpty ? nil : $0 }
        guard body.count <= maxMessageBytes else {
            return .rejected(
                MessageRejection(
                    reason: .tooLarge(bytes: body.count, limit: maxMessageBytes, limitKey: limitKey),
                    correlationId: property, summary: nil))
        }
        let decoded = JackpotTicketRequest.decode(body)
        var violations: [Violation] = []
        if property == nil {
            violations.append(
                Violation(
                    path: "properties.correlation_id", reason: "missing (it is the request's correlation id)",
                    kind: .missing))
        }
        violations += decoded.violations
        let summary = JackpotRequestSummary(
            correlationId: property, timestampUtc: receivedAt, canonicalBody: decoded.value?.canonicalBody)
        guard violations.isEmpty, let property else {
            return .rejected(
                MessageRejection(reason: .violations(violations), correlationId: property, summary: summary))
        }
        return .valid(
            ValidEnvelope(
                correlationId: property, operation: JackpotRequestSummary.operation,
                contentType: JackpotRequestSummary.operation, timestampUtc: receivedAt, summary: summary))
    }

    private func classify<Summary>(
        _ body: [UInt8], correlationProperty: String?,
        decode: ([UInt8]) -> (Summary, [Violation])
    ) -> ClassifiedMessage<Summary> {
        guard body.count <= maxMessageBytes else {
            return .rejected(
                MessageRejection(
                    reason: .tooLarge(bytes: body.count, limit: maxMessageBytes, limitKey: limitKey),
                    correlationId: correlationProperty, summary: nil))
        }
        let (summary, decodedViolations) = decode(body)
        var violations = decodedViolations
        let bodyId = summary.correlationId
        if let correlationProperty {
            if let bodyId, bodyId != correlationProperty {
                violations.append(
                    Violation(
                        path: "correlationId",
                        reason:
                            "\"\(bodyId)\" differs from the AMQP correlation_id property \"\(correlationProperty)\""
                    ))
            } else if bodyId == nil {
                violations.removeAll { $0.path == "correlationId" && $0.kind == .missing }
                // The property becomes the id the store keeps: the body's rule applies to it.
                if let problem = StorableText.problem(
                    correlationProperty, maximumBytes: StorableText.maximumIdBytes)
                {
                    violations.append(
                        Violation(
                            path: "correlationId", reason: "the AMQP correlation_id property \(problem)"))
                }
            }
        }
        let correlationId = bodyId ?? correlationProperty
        guard violations.isEmpty, let correlationId, let operation = summary.operation,
            let contentType = summary.contentType, let timestamp = summary.timestampUtc
        else {
            // Without violations every field above is present; the guard only unwraps.
            return .rejected(
                MessageRejection(
                    reason: .violations(
                        violations.isEmpty
                            ? [Violation(path: "$", reason: "envelope incomplete", kind: .missing)]
                            : violations),
                    correlationId: correlationId, summary: summary))
        }
        return .valid(
            ValidEnvelope(
                correlationId: correlationId, operation: operation, contentType: contentType,
                timestampUtc: timestamp, summary: summary))
    }
}
