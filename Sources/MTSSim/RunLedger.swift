import MTSSimulation

/// What a run sent: the tally and the manifest entries, in run order. A value owned by the
/// run's publishing loop, which records exchanges in the order it plans them.
struct RunLedger {
    private(set) var tally = RunTally()
    private(set) var entries: [ManifestEntry] = []

    /// Records an exchange whose first message went out at `entry.sentAt`.
    mutating func record(_ exchange: PlannedExchange, entry: ManifestEntry) {
        tally.recordExpectations(of: exchange)
        entries.append(entry)
    }

    mutating func recordRequest(_ kind: RequestKind) { tally.recordRequest(kind) }

    mutating func recordReplies(_ kind: RequestKind, count: Int) { tally.recordReplies(kind, count: count) }
}
