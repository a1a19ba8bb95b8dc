/// An engine's durable log of result records, as its sinks read it: entries in order from a
/// cursor, the cursors themselves, and the purge of what every cursor has passed.
///
/// The store appends (``CorrelationEngine/appendToLog(_:confirming:)``, with the confirms of the
/// results the records are about, in one transaction) and numbers the entries; once committed
/// they go into an in-memory tail, so readers that keep up never touch the database. Readers
/// further behind read the store, on its writer thread, between transactions.
///
/// Without a store the log is its tail alone: nothing survives a restart, and a reader behind
/// the tail skips to it.
public final class ResultLog: Sendable {
    private let store: CorrelationStore?
    private let tail: ResultLogTail
    /// The log as found at open: the last position, the oldest entry, the cursors.
    public let recovered: ResultLogState

    init(store: CorrelationStore?) {
        self.store = store
        tail = store?.tail ?? ResultLogTail(lastSeq: 0)
        recovered = store?.recoveredLogState ?? ResultLogState()
    }

    /// The newest committed entry's position.
    public var lastSeq: Int64 { tail.lastSeq }

    /// Up to `max` entries after `seq`, oldest first. Waits while there are none; returns an
    /// empty array when ``wakeAll()`` is called or the task is cancelled meanwhile.
    ///
    /// - Throws: the store's failure, when the entries had to be read from it.
    public func entries(after seq: Int64, max: Int) async throws -> [ResultLogEntry] {
        for attempt in 0..<2 {
            switch tail.read(after: seq, max: max) {
            case .entries(let entries):
                return entries
            case .behind:
                guard let store else {
                    // Nothing older than the tail exists: go on from its start.
                    if case .entries(let entries) = tail.read(after: Int64.min, max: max) { return entries }
                    return []
                }
                return try await store.readLog(after: seq, limit: max)
            case .caughtUp:
                guard attempt == 0 else { return [] }
                await tail.wait(after: seq)
            }
        }
        return []
    }

    /// Wakes every reader waiting in ``entries(after:max:)``.
    public func wakeAll() {
        tail.wakeAll()
    }

    /// Moves a sink's cursor, in the next transaction, unless a replay raised its generation
    /// meanwhile. Does not wait: after a crash the sink gets again what followed the last move
    /// that committed.
    public func move(_ cursor: SinkCursor) {
        store?.enqueue(cursor: cursor)
    }

    /// The log's state as committed (cursors as a replay may have set them).
    public func state() async throws -> ResultLogState {
        guard let store else { return ResultLogState(lastSeq: tail.lastSeq) }
        return try await store.readLogState()
    }

    /// Drops, in the next transaction, the entries up to `throughSeq` appended before `before`
    /// (milliseconds since the epoch).
    public func purge(throughSeq: Int64, before: Int64) {
        store?.enqueuePurgeLog(throughSeq: throughSeq, before: before)
    }

    /// Returns once everything appended before the call is committed.
    public func waitDurable() async throws {
        try await store?.waitDurable()
    }

    /// Appends without a store: numbered here, in memory only.
    func appendInMemory(_ drafts: [ResultLogDraft], at appendedAt: Int64) {
        var next = tail.lastSeq
        tail.append(
            drafts.map { draft in
                next += 1
                return draft.entry(seq: next, appendedAt: appendedAt)
            })
    }
}
