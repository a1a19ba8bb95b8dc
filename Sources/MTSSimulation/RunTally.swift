/// What a run sent and the results it expects, counted for the closing summary.
public struct RunTally: Sendable, Hashable {
    public private(set) var requestsByKind: [RequestKind: Int] = [:]
    /// Published reply messages by kind, every copy and malformed one included.
    public private(set) var repliesByKind: [RequestKind: Int] = [:]
    public private(set) var fates: [Fate: Int] = [:]
    /// The results owed, by outcome; anonymous `invalid` records included.
    public private(set) var expectedOutcomes: [ResultOutcome: Int] = [:]
    public private(set) var anonymousInvalid = 0

    /// An empty tally.
    public init() {}

    /// Counts a published request.
    public mutating func recordRequest(_ kind: RequestKind) { requestsByKind[kind, default: 0] += 1 }

    /// Counts `count` published reply messages.
    public mutating func recordReplies(_ kind: RequestKind, count: Int) {
        repliesByKind[kind, default: 0] += count
    }

    /// Counts an exchange's fate and the results it owes.
    public mutating func recordExpectations(of exchange: PlannedExchange) {
        fates[exchange.fate, default: 0] += 1
        for outcome in exchange.expectedOutcomes { expectedOutcomes[outcome, default: 0] += 1 }
        if exchange.hasAnonymousReply {
            expectedOutcomes[.invalid, default: 0] += 1
            anonymousInvalid += 1
        }
    }

    public var requests: Int { requestsByKind.values.reduce(0, +) }
    public var replies: Int { repliesByKind.values.reduce(0, +) }

    /// The summary table, `elapsed` seconds after the start.
    public func table(elapsedSeconds: Double) -> String {
        var lines: [String] = []
        func row(_ name: String, _ values: String...) {
            lines.append(name.padding(28) + values.map { $0.leftPadding(10) }.joined())
        }
        row("kind", "requests", "replies")
        for kind in RequestKind.allCases {
            row("  " + kind.rawValue, "\(requestsByKind[kind] ?? 0)", "\(repliesByKind[kind] ?? 0)")
        }
        row("  total", "\(requests)", "\(replies)")
        lines.append("")
        row("fate", "ids")
        for fate in Fate.allCases { row("  " + fate.rawValue, "\(fates[fate] ?? 0)") }
        lines.append("")
        row("expected outcome", "records")
        for outcome in ResultOutcome.allCases {
            var line = "\(expectedOutcomes[outcome] ?? 0)"
            if outcome == .invalid, anonymousInvalid > 0 { line += " (\(anonymousInvalid) without id)" }
            lines.append("  " + outcome.rawValue.padding(26) + line.leftPadding(10))
        }
        row("  total", "\(expectedOutcomes.values.reduce(0, +))")
        lines.append("")
        let messages = requests + replies
        let rate = elapsedSeconds > 0 ? Double(messages) / elapsedSeconds : 0
        let requestRate = elapsedSeconds > 0 ? Double(requests) / elapsedSeconds : 0
        lines.append(
            "elapsed \(Self.format(elapsedSeconds, digits: 3)) s; \(messages) messages, "
                + "\(Self.format(rate, digits: 1)) msg/s (\(Self.format(requestRate, digits: 1)) requests/s)")
        return lines.joined(separator: "\n")
    }

    /// `value` with `digits` digits after the point, e.g. `12.345`.
    public static func format(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        return "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    fileprivate func leftPadding(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
