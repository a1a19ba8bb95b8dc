/// The verdict on one message for `mts-relay validate`: what it is, and every violation.
public struct MessageReport: Sendable, Hashable {
    /// `<operation> <content type>` for MTS messages, `jackpot-request jackpot` or
    /// `jackpot-ticket jackpot` for the jackpot API; as far as it could be read.
    public var label: String
    /// Every rule the message breaks.
    public var violations: [Violation]

    /// Whether the message breaks no rule.
    public var isValid: Bool { violations.isEmpty }

    /// A report labelled `label` with `violations`.
    public init(label: String, violations: [Violation]) {
        self.label = label
        self.violations = violations
    }

    /// The lines `validate` prints for `file`: `FILE: ok (<label>)`, or `FILE: invalid` followed by
    /// one indented `<json path>: <reason>` line per violation.
    public func lines(file: String) -> [String] {
        if isValid { return ["\(file): ok (\(label))"] }
        return ["\(file): invalid"] + violations.map { "  \($0)" }
    }

    /// Checks `bytes` as a message of `kind`.
    public static func check(_ bytes: [UInt8], as kind: MessageKind) -> MessageReport {
        var resolved = kind
        var document: JSONObject? = nil
        if kind == .auto || kind == .mts {
            document = (try? JSONValue.parse(bytes))?.objectValue
            if kind == .auto { resolved = MessageKind.detect(document) }
        }
        switch resolved {
        case .auto, .mts:
            let contentType = document?["content"]?.objectValue?["type"]?.stringValue
            let isRequest =
                !(contentType.map(MTSContentType.isReply) ?? true) && document?["operatorId"] != nil
            if isRequest {
                let decoded = MTSRequest.decode(bytes)
                return MessageReport(
                    label: label(decoded.summary.operation, decoded.summary.contentType),
                    violations: decoded.violations)
            }
            let decoded = MTSReply.decode(bytes)
            return MessageReport(
                label: label(decoded.summary.operation, decoded.summary.contentType),
                violations: decoded.violations)
        case .jackpotRequest:
            return MessageReport(
                label: "jackpot-request jackpot", violations: JackpotTicketRequest.decode(bytes).violations)
        case .jackpotTicket:
            return MessageReport(
                label: "jackpot-ticket jackpot", violations: JackpotTicket.decode(bytes).violations)
        }
    }

    private static func label(_ operation: String?, _ contentType: String?) -> String {
        "\(operation ?? "?") \(contentType ?? "?")"
    }
}
