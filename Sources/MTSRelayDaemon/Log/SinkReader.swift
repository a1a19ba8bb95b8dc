import Logging
import MTSCorrelation
import Synchronization

/// One sink reading one log of results from its own cursor: it reads entries after the
/// cursor in batches, hands what the sink's filters select to the sink (retrying as the sink's
/// route says), and moves the cursor past them, durably in the next transaction of the store.
/// A failing sink holds up nothing but itself.
///
/// - A *required* sink reports its cursor to the term's ``SinkBacklog``, which pauses
///   consumption while it is more than `maxBacklog` records behind.
/// - A sink that is not required skips its own oldest records past `maxBacklog` instead (it
///   gives up the batch it is retrying, too), and counts them.
/// - A replay (`mts-relay replay`) raises the cursor's generation in the store; the reader
///   adopts it when told (``adopt(_:)``), and marks what it sends again `replayed: true`.
///
/// Delivery is at least once: after a crash the sink gets again what followed the last cursor
/// move that committed, with the same `seq` (and key).
final class SinkReader: Sendable {
    let route: SinkRoute
    /// The log's name in records' keys (`<log>:<seq>`): the store's group.
    let logName: String
    private let log: ResultLog
    private let backlog: SinkBacklog
    private let metrics: RelayMetrics
    /// Whether this relay may still emit (its term's lease), asked before each attempt.
    private let mayEmit: @Sendable () -> Bool
    private let logger: Logger
    private let state: Mutex<State>

    /// The most entries read and delivered at once.
    static let batchSize = 512
    /// How long a reader waits before it offers a batch its sink refused for good again.
    static let pauseAfterRefusal: Duration = .seconds(5)

    struct State {
        var cursor: SinkCursor
        /// When the oldest entry not yet delivered was appended; nil while caught up.
        var oldestUndeliveredAt: Int64?
        /// A cursor a replay wrote, waiting to be adopted between batches.
        var replay: SinkCursor?
    }

    init(
        route: SinkRoute, log: ResultLog, logName: String, cursor: SinkCursor, backlog: SinkBacklog,
        metrics: RelayMetrics, mayEmit: @escaping @Sendable () -> Bool, logger: Logger
    ) {
        self.route = route
        self.log = log
        self.logName = logName
        self.backlog = backlog
        self.metrics = metrics
        self.mayEmit = mayEmit
        self.logger = logger
        state = Mutex(State(cursor: cursor))
    }

    var name: String { route.sink.name }

    /// The cursor, and when the oldest undelivered entry was appended.
    var progress: (cursor: SinkCursor, oldestUndeliveredAt: Int64?) {
        state.withLock { ($0.cursor, $0.oldestUndeliveredAt) }
    }

    /// Takes a cursor a replay wrote (a newer generation) before the next batch.
    func adopt(_ cursor: SinkCursor) {
        state.withLock { state in
            guard cursor.generation > state.cursor.generation else { return }
            state.replay = cursor
        }
    }

    /// Reads and delivers until the task is cancelled or the relay may no longer emit.
    func run() async {
        reportBacklog()
        while !Task.isCancelled {
            let cursor = takeReplay() ?? state.withLock { $0.cursor }
            if !route.required, skipPastBacklog(from: cursor) { continue }
            let entries: [ResultLogEntry]
            do {
                entries = try await log.entries(after: cursor.seq, max: Self.batchSize)
            } catch {
                if !Task.isCancelled {
                    logger.error(
                        "Could not read the log of results",
                        metadata: ["sink": "\(name)", "error": "\(error)"])
                }
                return
            }
            guard let last = entries.last else {
                state.withLock { $0.oldestUndeliveredAt = nil }
                continue
            }
            state.withLock { $0.oldestUndeliveredAt = entries[0].appendedAt }
            do {
                try await deliver(entries, cursor: cursor)
            } catch is AbandonedBatch {
                continue
            } catch is CancellationError {
                return
            } catch is NotActiveError {
                return
            } catch {
                // Refused for good: nothing is skipped; try the batch again later.
                try? await Task.sleep(for: Self.pauseAfterRefusal)
                continue
            }
            advance(from: cursor, to: last.seq)
        }
    }

    /// Adopts a pending replay: its cursor is where reading goes on.
    private func takeReplay() -> SinkCursor? {
        state.withLock { state in
            guard let replay = state.replay else { return nil }
            state.replay = nil
            state.cursor = replay
            return replay
        }
    }

    /// A sink that is not required drops its oldest entries past `maxBacklog`; true when it did.
    private func skipPastBacklog(from cursor: SinkCursor) -> Bool {
        let floor = log.lastSeq - Int64(route.maxBacklog)
        guard cursor.seq < floor else { return false }
        metrics.recordDropped(sink: name, count: Int(floor - cursor.seq))
        logger.warning(
            "Sink fell too far behind; dropped its oldest records",
            metadata: [
                "sink": "\(name)", "records": "\(floor - cursor.seq)", "maxBacklog": "\(route.maxBacklog)",
            ])
        advance(from: cursor, to: floor)
        return true
    }

    private func deliver(_ entries: [ResultLogEntry], cursor: SinkCursor) async throws {
        var records: [SinkRecord] = []
        for entry in entries {
            guard let outcome = ResultRecord.Outcome(rawValue: entry.outcome),
                route.selects(outcome: outcome, operation: entry.operation)
            else { continue }
            records.append(SinkRecord(entry: entry, log: logName, replayed: entry.seq <= cursor.replayUntil))
        }
        guard !records.isEmpty else { return }
        let (required, maxBacklog, log) = (route.required, Int64(route.maxBacklog), log)
        let first = entries[0].seq
        do {
            try await route.deliver(
                records, logger: logger, mayEmit: mayEmit,
                abandon: { !required && log.lastSeq - first >= maxBacklog })
            metrics.recordAccepted(sink: name, count: records.count)
            metrics.recordBatch(.sink, size: records.count)
        } catch let error as AbandonedBatch {
            throw error
        } catch {
            // Cancelled, or no longer active: nothing failed, the next term goes on from the cursor.
            if !(error is CancellationError), !(error is NotActiveError) {
                metrics.recordFailed(sink: name, count: records.count)
                logger.error(
                    "Sink refused records for good; offering them again in 5 s",
                    metadata: ["sink": "\(name)", "records": "\(records.count)", "error": "\(error)"])
            }
            throw error
        }
    }

    /// Moves the cursor past `seq`, in memory now and durably in the next transaction.
    private func advance(from cursor: SinkCursor, to seq: Int64) {
        let moved = state.withLock { state -> SinkCursor in
            // A replay adopted meanwhile wins over this move.
            guard state.cursor.generation == cursor.generation else { return state.cursor }
            state.cursor.seq = max(state.cursor.seq, seq)
            return state.cursor
        }
        if moved.generation == cursor.generation { log.move(moved) }
        reportBacklog()
    }

    private func reportBacklog() {
        guard route.required else { return }
        backlog.update(sink: name, seq: state.withLock { $0.cursor.seq }, maxBacklog: route.maxBacklog)
    }
}
