import Logging
import NIOCore
import PostgresNIO

/// The PostgreSQL backend (vapor/postgres-nio): one connection, rows scoped by `group_name`
/// (`ha.group`), every batch one transaction of multi-row statements.
///
/// ## Blocking
/// Every call here runs on the store's writer thread (see ``CorrelationStore``), which is
/// neither on Swift's cooperative pool nor an event loop of postgres-nio's group: it drives
/// postgres-nio's `EventLoopFuture` API and blocks in `wait()`, as the SQLite backend blocks in
/// `sqlite3_step`. The connection's IO runs on the event loop meanwhile.
///
/// ## Batching
/// The effects of a batch go out as runs: consecutive effects of one kind for distinct ids
/// become one statement over `unnest` of arrays (one round trip, one plan, however many rows).
/// A change of kind, or an id seen again within the run, starts the next run, so the rows end
/// as if the effects had been applied one by one, in order. The statements are queued on the
/// connection together with `BEGIN` and `COMMIT` and awaited at the end: one wait per batch.
///
/// ## Passwords
/// Errors name the URL without its password (``PostgresURL/redacted``), and reasons are built
/// from the server's message and SQLSTATE or the connection error, never from the configuration.
/// postgres-nio's own logger is a no-op one.
final class PostgresBackend: StoreBackend {
    let location: String
    let group: String

    let connection: PostgresConnection
    /// postgres-nio's logger: a no-op one, so that nothing of the configuration is ever logged.
    static let logger = Logger(label: "mts-relay.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    var logger: Logger { Self.logger }

    /// The table of requests, shared by every group.
    static let table = PostgresSchema.requestTable
    /// The epoch every write must carry, when the relay runs with a lease.
    let fence: StoreFence?

    /// Connects and creates or migrates the schema (idempotent; concurrent openers are
    /// serialised by a transaction-scoped advisory lock).
    ///
    /// - Throws: ``CorrelationStoreError/cannotOpen(path:reason:)`` naming the URL without its
    ///   password and what failed.
    init(url text: String, group: String, fence: StoreFence? = nil) throws(CorrelationStoreError) {
        let url: PostgresURL
        do throws(PostgresURL.Invalid) {
            url = try PostgresURL(text)
        } catch {
            throw .cannotOpen(path: "postgresql://(invalid URL)", reason: error.reason)
        }
        location = StoreLocation.postgres(url: text, group: group).description
        self.group = group
        self.fence = fence
        let configuration: PostgresConnection.Configuration
        do throws(PostgresTLSSettings.FileProblem) {
            // A fenced transaction holds the lease row FOR SHARE until it ends: a member
            // frozen inside one (SIGSTOP, a stalled VM) would keep every standby from taking
            // the lease. The server ends such a session well before the lease runs out.
            configuration = try url.connectionConfiguration(
                applicationName: PostgresURL.applicationName(group: group, role: "store"),
                idleInTransactionTimeoutMs: fence?.idleInTransactionTimeoutMs)
        } catch {
            throw .cannotOpen(path: location, reason: error.reason)
        }
        do {
            connection = try PostgresConnection.connect(
                on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration, id: 1,
                logger: Self.logger
            ).wait()
        } catch {
            throw .cannotOpen(path: location, reason: "cannot connect: \(url.connectFailureReason(error))")
        }
        do {
            try migrate()
        } catch {
            try? connection.close().wait()
            throw .cannotOpen(path: location, reason: "cannot create the schema: \(Self.reason(error))")
        }
    }

    func close() {
        _ = try? waitBounded(connection.close())
    }

    private func migrate() throws {
        do {
            try run(PostgresSchema.migration)
        } catch {
            try? run(["ROLLBACK"])
            throw error
        }
    }

    /// Runs statements without binds in order, waiting for all of them.
    private func run(_ statements: [String]) throws {
        let futures = statements.map {
            connection.queryUnlessClosed(PostgresQuery(unsafeSQL: $0), logger: logger)
        }
        try wait(futures)
    }

    /// Waits for every future (so none is left running), then throws the first failure.
    func wait<T: Sendable>(_ futures: [EventLoopFuture<T>]) throws {
        var first: (any Error)?
        for future in futures {
            do { _ = try waitBounded(future) } catch { if first == nil { first = error } }
        }
        if let first { throw first }
    }

    /// How long one statement of a batch may take before the connection counts as broken.
    /// A batch takes milliseconds (the longest seen in the benchmark: 0.6 s).
    static let statementTimeout: TimeAmount = .seconds(10)

    /// `future.wait()`, bounded by ``statementTimeout``. Needed: when the server ends the
    /// connection (a restart: "terminating connection due to administrator command") while
    /// statements are pipelined, postgres-nio was seen to leave one of their futures pending for
    /// good, and the writer thread with it. On the timeout the connection is closed, so that
    /// everything else pending on it fails too, and the store fails (its engine stops; a member
    /// of a group steps down and starts again on a new connection).
    func waitBounded<T: Sendable>(
        _ future: EventLoopFuture<T>, timeout: TimeAmount = PostgresBackend.statementTimeout
    ) throws -> T {
        let connection = connection
        return try DeadlineRace(
            future, timeout: timeout, timedOut: { StatementTimeout(timeout: timeout) },
            onTimeout: {
                let closing: EventLoopFuture<Void> = connection.close()
                _ = closing
            }
        ).result.wait()
    }

    /// A statement got no answer within ``statementTimeout``.
    struct StatementTimeout: Error, CustomStringConvertible {
        var timeout: TimeAmount
        var description: String {
            "the server did not answer within \(timeout.nanoseconds / 1_000_000_000) s (connection closed)"
        }
    }

    // MARK: Reading

    /// The columns of a row, in ``decodeRow(_:location:)``'s order.
    static let columns = """
        correlation_id, operation, content_type, timestamp_utc, ticket_id, body, body_hash, deadline,
            state, resolved_at, reply_hash, confirmed, sent, answer, answer_status, answered_at
        """

    /// One row of ``columns``.
    static func decodeRow(_ row: PostgresRow, location: String) throws -> PersistedRequest {
        let columns = try row.decode(
            (
                String, String, String, Int64, String?, ByteBuffer?, Int64, Int64, Int64, Int64?,
                Int64?, Bool,
                Bool, ByteBuffer?, Int64?, Int64?
            ).self)
        guard let state = PersistedRequest.State(rawValue: columns.8) else {
            throw CorrelationStoreError.corrupt(
                path: location, reason: "unknown request state \(columns.8) for '\(columns.0)'")
        }
        return PersistedRequest(
            request: CorrelationRequest(
                correlationId: columns.0, operation: columns.1, contentType: columns.2,
                timestampUtc: columns.3, ticketId: columns.4, body: bytes(columns.5)),
            bodyHash: UInt64(bitPattern: columns.6), deadline: columns.7, state: state,
            resolvedAt: columns.9, replyHash: columns.10.map { UInt64(bitPattern: $0) },
            confirmed: columns.11, sent: columns.12,
            answer: columns.14.map { status in
                RecordedAnswer(status: Int(status), body: bytes(columns.13), receivedAt: columns.15 ?? 0)
            })
    }

    func readRows(_ body: (PersistedRequest) -> Void) throws(CorrelationStoreError) {
        var binds = PostgresBindings()
        binds.append(group)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(Self.columns)
                FROM \(Self.table) WHERE group_name = $1 ORDER BY correlation_id COLLATE "C"
                """, binds: binds)
        do {
            // The whole table at once: a bound of its own, longer than a batch's.
            let result = try waitBounded(
                connection.queryUnlessClosed(query, logger: logger), timeout: .seconds(120))
            for row in result { body(try Self.decodeRow(row, location: location)) }
        } catch let error as CorrelationStoreError {
            throw error
        } catch {
            throw .cannotOpen(path: location, reason: "cannot read the rows: \(Self.reason(error))")
        }
    }

    func readLogState() throws(CorrelationStoreError) -> ResultLogState {
        do {
            return try Self.readLogState(connection: connection, group: group) { try waitBounded($0) }
        } catch {
            throw .cannotOpen(path: location, reason: "cannot read the log: \(Self.reason(error))")
        }
    }

    /// The log's state of `group` through `connection` (the relay's, or a tool's); `wait` waits
    /// for a query's rows.
    static func readLogState(
        connection: PostgresConnection, group: String,
        wait: (EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult
    ) throws -> ResultLogState {
        var binds = PostgresBindings()
        binds.append(group)
        var state = ResultLogState()
        let bounds = try wait(
            connection.queryUnlessClosed(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT coalesce(max(seq), 0), min(seq) FROM \(PostgresSchema.logTable) WHERE group_name = $1
                        """, binds: binds), logger: logger))
        for row in bounds {
            let (last, first) = try row.decode((Int64, Int64?).self)
            state.lastSeq = last
            if let first {
                var oldestBinds = PostgresBindings()
                oldestBinds.append(group)
                oldestBinds.append(first)
                let oldest = try wait(
                    connection.queryUnlessClosed(
                        PostgresQuery(
                            unsafeSQL: """
                                SELECT appended_at FROM \(PostgresSchema.logTable) WHERE group_name = $1 AND seq = $2
                                """, binds: oldestBinds), logger: logger))
                for row in oldest { state.oldest = (first, try row.decode(Int64.self)) }
            }
        }
        let cursors = try wait(
            connection.queryUnlessClosed(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT sink, seq, generation, replay_until FROM \(PostgresSchema.cursorTable)
                        WHERE group_name = $1
                        """, binds: binds), logger: logger))
        for row in cursors {
            let (sink, seq, generation, replayUntil) = try row.decode((String, Int64, Int64, Int64).self)
            state.cursors.append(
                SinkCursor(sink: sink, seq: seq, generation: generation, replayUntil: replayUntil))
        }
        state.lastSeq = max(state.lastSeq, state.cursors.map(\.seq).max() ?? 0)
        return state
    }

    func replay(sink: String, from point: ReplayPoint) throws -> ReplayPlan {
        let run = { (sql: String, binds: PostgresBindings) throws -> PostgresQueryResult in
            try self.waitBounded(
                self.connection.queryUnlessClosed(
                    PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger))
        }
        var group = PostgresBindings()
        group.append(self.group)
        do {
            _ = try run("BEGIN", PostgresBindings())
            // Serialises replays of the group with each other; the relay's moves are kept out
            // by the generation.
            _ = try run(
                "SELECT 1 FROM \(PostgresSchema.cursorTable) WHERE group_name = $1 FOR UPDATE", group)
            let state = try Self.readLogState(connection: connection, group: self.group) {
                try waitBounded($0)
            }
            let fromSeq = try ResultLogReplay.startingSeq(
                of: point, oldest: state.oldest, lastSeq: state.lastSeq,
                firstAtOrAfter: { time in
                    var binds = group
                    binds.append(time)
                    let rows = try run(
                        "SELECT min(seq) FROM \(PostgresSchema.logTable) WHERE group_name = $1 AND appended_at >= $2",
                        binds)
                    return try rows.first.flatMap { try $0.decode(Int64?.self) }
                })
            var binds = group
            binds.append(fromSeq)
            var counts: [ReplayPlan.Count] = []
            for row in try run(
                """
                SELECT outcome, operation, count(*) FROM \(PostgresSchema.logTable)
                WHERE group_name = $1 AND seq >= $2 GROUP BY outcome, operation
                """, binds)
            {
                let (outcome, operation, entries) = try row.decode((String, String?, Int64).self)
                counts.append(ReplayPlan.Count(outcome: outcome, operation: operation, entries: Int(entries)))
            }
            var update = group
            update.append(sink)
            update.append(fromSeq - 1)
            update.append(state.lastSeq)
            _ = try run(
                """
                INSERT INTO \(PostgresSchema.cursorTable) AS c (group_name, sink, seq, generation, replay_until)
                VALUES ($1, $2, $3, 1, $4)
                ON CONFLICT (group_name, sink) DO UPDATE SET seq = EXCLUDED.seq, generation = c.generation + 1,
                    replay_until = EXCLUDED.replay_until
                """, update)
            _ = try run("COMMIT", PostgresBindings())
            return ReplayPlan(
                sink: sink, fromSeq: fromSeq, throughSeq: state.lastSeq, counts: counts.sorted())
        } catch {
            _ = try? run("ROLLBACK", PostgresBindings())
            if error is ReplayRefusal { throw error }
            throw CorrelationStoreError.writeFailed(path: location, reason: Self.reason(error))
        }
    }

    func readLog(after seq: Int64, limit: Int) throws(CorrelationStoreError) -> [ResultLogEntry] {
        var binds = PostgresBindings()
        binds.append(group)
        binds.append(seq)
        binds.append(Int64(limit))
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT seq, appended_at, outcome, operation, correlation_id, record FROM \(PostgresSchema.logTable)
                WHERE group_name = $1 AND seq > $2 ORDER BY seq LIMIT $3
                """, binds: binds)
        do {
            var entries: [ResultLogEntry] = []
            for row in try waitBounded(connection.queryUnlessClosed(query, logger: logger)) {
                let columns = try row.decode((Int64, Int64, String, String?, String?, ByteBuffer).self)
                entries.append(
                    ResultLogEntry(
                        seq: columns.0, appendedAt: columns.1, outcome: columns.2, operation: columns.3,
                        correlationId: columns.4, json: Array(columns.5.readableBytesView)))
            }
            return entries
        } catch {
            throw .writeFailed(path: location, reason: "cannot read the log: \(Self.reason(error))")
        }
    }

    static func bytes(_ buffer: ByteBuffer?) -> [UInt8] {
        buffer.map { Array($0.readableBytesView) } ?? []
    }
}
