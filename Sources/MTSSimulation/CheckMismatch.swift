/// A correlation id whose results differ from what the run owes.
public struct CheckMismatch: Sendable, Hashable, CustomStringConvertible {
    /// nil for the anonymous `invalid` records, which are counted together.
    public var correlationId: String?
    /// nil for ids the manifest does not know (they only carry the run's prefix).
    public var fate: Fate?
    public var expected: [ResultOutcome]
    /// The outcomes found, a redelivered one marked with `*`.
    public var found: [String]
    public var missing: [ResultOutcome]
    public var unexpected: [ResultOutcome]

    /// `run-000042 (late): missing late; expected [timeout, late], found [timeout]`.
    public var description: String {
        var problems: [String] = []
        if !missing.isEmpty { problems.append("missing " + missing.map(\.rawValue).joined(separator: ", ")) }
        if !unexpected.isEmpty {
            problems.append("unexpected " + unexpected.map(\.rawValue).joined(separator: ", "))
        }
        let name = correlationId ?? "(no correlationId)"
        let fateText =
            fate.map { " (\($0.rawValue))" } ?? (correlationId == nil ? "" : " (not in the manifest)")
        return "\(name)\(fateText): \(problems.joined(separator: "; ")); expected ["
            + expected.map(\.rawValue).joined(separator: ", ") + "], found [" + found.joined(separator: ", ")
            + "]"
    }
}
