/// The six ways a request or reply can end: the one list of outcomes, used by the engine, the
/// records (`ResultRecord.Outcome`), the configuration's sink filters and mts-sim's checker.
public enum CorrelationOutcome: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// A reply answered an outstanding request in time.
    case matched
    /// No reply arrived by the request's deadline.
    case timeout
    /// A reply arrived for a request that had already timed out (within retention).
    case late
    /// A further reply arrived for a request already matched (within retention).
    case duplicate
    /// A reply stayed unknown through the unmatched grace period.
    case unmatched
    /// A message failed validation, or its type or operation does not answer its request.
    case invalid

    /// Orders outcomes as they are declared, for stable reports.
    public static func < (lhs: CorrelationOutcome, rhs: CorrelationOutcome) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
