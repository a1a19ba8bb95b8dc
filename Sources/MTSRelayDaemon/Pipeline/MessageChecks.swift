import AMQPClient
import MTSProtocol

/// The checks every consumed message passes before it reaches the engine, shared by the
/// intake and reply sides.
enum MessageChecks {
    /// Why the message is too large, or nil.
    static func sizeViolation(_ delivery: AMQPDelivery, limit: Int) -> String? {
        guard delivery.body.count > limit else { return nil }
        return
            "$: message of \(delivery.body.count) bytes exceeds the limit of \(limit) bytes (replies.maxMessageBytes)"
    }

    /// The violations that count, and the correlation id to use.
    ///
    /// The AMQP `correlation_id` property and the body's `correlationId` must agree when both
    /// are present. A body without a correlationId takes the property's: its "missing"
    /// violation is then dropped.
    static func correlate(
        violations: [Violation], bodyCorrelationId: String?, property: String?
    ) -> (violations: [Violation], correlationId: String?) {
        var violations = violations
        if let property, let bodyCorrelationId, property != bodyCorrelationId {
            violations.append(
                Violation(
                    path: "correlationId",
                    reason:
                        "\"\(bodyCorrelationId)\" differs from the AMQP correlation_id property \"\(property)\""
                ))
        }
        if bodyCorrelationId == nil, property != nil {
            violations.removeAll { $0.path == "correlationId" && $0.kind == .missing }
        }
        return (violations, bodyCorrelationId ?? property)
    }

    /// Whether the body parsed as a JSON object.
    static func isJSONObject(_ violations: [Violation]) -> Bool {
        !violations.contains { $0.kind == .notAnObject }
    }

    /// The violations as one line for the dead-letter header and the record.
    static func describe(_ violations: [Violation]) -> String {
        violations.map(\.description).joined(separator: "; ")
    }
}
