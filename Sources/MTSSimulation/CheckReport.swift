/// What ``ResultChecker`` found.
public struct CheckReport: Sendable, Hashable {
    /// One per correlation id whose results differ, in manifest order, then ids only the file
    /// has, then the anonymous `invalid` count.
    public var mismatches: [CheckMismatch] = []
    /// Correlation ids in the manifest.
    public var expectedIds = 0
    /// Correlation ids whose results are exactly as owed (allowed extras aside).
    public var matchingIds = 0
    /// Redelivered records repeating an owed outcome (at-least-once), accepted.
    public var allowedExtras = 0
    /// Records of other runs, ignored.
    public var ignoredRecords = 0
    /// The anonymous `invalid` records owed and found since the run started.
    public var anonymousInvalidExpected = 0
    public var anonymousInvalidFound = 0

    /// Whether every result is as owed.
    public var isMatch: Bool { mismatches.isEmpty }

    /// The last line of a check.
    public var summary: String {
        let verdict = isMatch ? "OK" : "MISMATCH"
        return
            "\(verdict): \(matchingIds)/\(expectedIds) correlation ids as expected, \(mismatches.count) mismatching; "
            + "anonymous invalid \(anonymousInvalidFound)/\(anonymousInvalidExpected); "
            + "\(allowedExtras) redelivered extras allowed; \(ignoredRecords) records of other runs ignored"
    }
}
