/// The outcomes mts-relay writes in its result records (`outcome`).
public enum ResultOutcome: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case matched, timeout, late, duplicate, unmatched, invalid

    /// Orders outcomes as they are declared, for stable reports.
    public static func < (lhs: ResultOutcome, rhs: ResultOutcome) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
