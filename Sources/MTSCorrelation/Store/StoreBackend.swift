/// One database's SQL under ``CorrelationStore``, which owns the queue, the group commit, the
/// barriers and the order of emitted results; a backend only reads and writes rows.
///
/// A backend is created, used and closed on the store's writer thread alone, so it need not be
/// thread-safe, and it may block: that thread exists to wait for its database.
protocol StoreBackend: AnyObject {
    /// The database, for messages: a SQLite path, or a PostgreSQL URL without its password.
    var location: String { get }

    /// Reads every row of the store (its group's, for a shared database), handing each to
    /// `body` as it is decoded. Called once, at open.
    func readRows(_ body: (PersistedRequest) -> Void) throws(CorrelationStoreError)

    /// The log of results: its last position, oldest entry and cursors. Called at open, and by
    /// readers between transactions.
    func readLogState() throws(CorrelationStoreError) -> ResultLogState

    /// Up to `limit` log entries after `seq`, oldest first.
    func readLog(after seq: Int64, limit: Int) throws(CorrelationStoreError) -> [ResultLogEntry]

    /// Applies `effects` in order, then `log`'s changes, in one transaction; calls
    /// `beforeCommit` (a test hook) after the rows are written and just before the commit.
    /// Throws ``CorrelationStoreError/writeFailed(path:reason:)`` (or another case naming the
    /// database), after rolling back.
    func write(
        _ effects: [PersistenceEffect], log: LogChanges, beforeCommit: (() -> Void)?
    ) throws(CorrelationStoreError)

    /// Sets `sink`'s cursor back to `point`, raising its generation, in one transaction (see
    /// ``ResultLogReplay``).
    func replay(sink: String, from point: ReplayPoint) throws -> ReplayPlan

    /// Closes the connection. Called once, last.
    func close()
}

extension StoreBackend {
    /// Every row of the store, in an array (tools and tests; the engine takes them one by one).
    func readRows() throws(CorrelationStoreError) -> [PersistedRequest] {
        var rows: [PersistedRequest] = []
        try readRows { rows.append($0) }
        return rows
    }
}
