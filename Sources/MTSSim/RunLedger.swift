import MTSSimulation

/// Collects, from every publishing task, what a run sent: the tally and the manifest entries.
actor RunLedger {
    private(set) var tally = RunTally()
    private var entries: [Int: ManifestEntry] = [:]

    /// Records an exchange whose first message went out at `sentAt`.
    func record(_ exchange: PlannedExchange, entry: ManifestEntry) {
        tally.recordExpectations(of: exchange)
        entries[exchange.index] = entry
    }

    func recordRequest(_ kind: RequestKind) { tally.recordRequest(kind) }

    func recordReplies(_ kind: RequestKind, count: Int) { tally.recordReplies(kind, count: count) }

    /// The manifest entries in run order.
    func orderedEntries() -> [ManifestEntry] { entries.sorted { $0.key < $1.key }.map(\.value) }
}
