import CSQLite
import Foundation

/// The SQLite backend: one file in WAL mode, prepared statements reused for every batch.
///
/// ## Why libsqlite3 through a module map, not vapor/sqlite-nio
/// Measured on this machine (2 cores, ext4, release build; scratch package outside the repo),
/// inserting ~500-byte rows in WAL mode, synchronous=NORMAL:
///
/// | rows per transaction | libsqlite3 (module map) | sqlite-nio 1.13.2 |
/// |---|---|---|
/// | 1    |  32 700 rows/s |  5 850 rows/s |
/// | 100  | 220 000 rows/s | 21 400 rows/s |
/// | 1000 | 222 000 rows/s | 16 400 rows/s |
///
/// sqlite-nio hops to its thread pool and prepares the statement again for every query; with a
/// reused prepared statement on a thread of our own, libsqlite3 is about 10x faster, and it adds
/// no SwiftNIO build to the package.
///
/// ## synchronous=FULL
/// A message is acknowledged once what it caused is committed, and nothing else stands behind
/// the acknowledgement (the sinks read the log later, at their own pace). With WAL, NORMAL
/// fsyncs only at checkpoints: a power loss or kernel crash could lose commits whose messages
/// the broker already dropped. FULL fsyncs the WAL at every commit; group commit (one
/// transaction for whatever queued meanwhile) is what pays for it.
final class SQLiteBackend: StoreBackend {
    let location: String

    private let connection: SQLiteConnection
    private let insertStatement: OpaquePointer
    private let resolveStatement: OpaquePointer
    private let purgeStatement: OpaquePointer
    private let confirmStatement: OpaquePointer
    private let markSentStatement: OpaquePointer
    private let recordAnswerStatement: OpaquePointer
    private let appendStatement: OpaquePointer
    private let cursorStatement: OpaquePointer
    private let purgeLogStatement: OpaquePointer
    private let readLogStatement: OpaquePointer

    /// Opens (or creates) the database at `path` and migrates its schema.
    ///
    /// - Throws: ``CorrelationStoreError/directoryMissing(path:)`` when the parent directory does
    ///   not exist; ``CorrelationStoreError/corrupt(path:reason:)`` when the file is not a SQLite
    ///   database or is damaged; ``CorrelationStoreError/cannotOpen(path:reason:)`` otherwise.
    init(path: String) throws(CorrelationStoreError) {
        location = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
            isDirectory.boolValue
        else { throw .directoryMissing(path: path) }

        do throws(SQLiteConnection.Failure) {
            connection = try SQLiteConnection(path: path)
            // journal_mode is the first statement that reads the file: a foreign file fails here.
            let mode = try connection.scalarText("PRAGMA journal_mode=WAL")
            guard mode == "wal" else {
                throw SQLiteConnection.Failure(
                    code: SQLITE_CANTOPEN, message: "journal_mode is \(mode ?? "nil"), not wal")
            }
            try connection.execute("PRAGMA synchronous=FULL")
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS request(
                    correlation_id TEXT PRIMARY KEY NOT NULL,
                    operation TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    timestamp_utc INTEGER NOT NULL,
                    ticket_id TEXT,
                    body BLOB,
                    body_hash INTEGER NOT NULL,
                    deadline INTEGER NOT NULL,
                    state INTEGER NOT NULL,
                    resolved_at INTEGER,
                    reply_hash INTEGER,
                    confirmed INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID
                """)
            try Self.addUpstreamColumns(connection)
            // Tombstones are purged by resolution time (the memory keeps no ids): resolved rows
            // only, so outstanding requests cost the index nothing.
            try connection.execute(
                "CREATE INDEX IF NOT EXISTS request_resolved ON request(resolved_at) WHERE state <> 0")
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS result_log(
                    seq INTEGER PRIMARY KEY,
                    appended_at INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    operation TEXT,
                    correlation_id TEXT,
                    record BLOB NOT NULL
                )
                """)
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS sink_cursor(
                    sink TEXT PRIMARY KEY NOT NULL,
                    seq INTEGER NOT NULL,
                    generation INTEGER NOT NULL DEFAULT 0,
                    replay_until INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID
                """)
            appendStatement = try connection.prepare(
                """
                INSERT INTO result_log(seq, appended_at, outcome, operation, correlation_id, record)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            // A move at an older generation than the row's is a relay's, made before a replay
            // set the cursor back: it is dropped.
            cursorStatement = try connection.prepare(
                """
                INSERT INTO sink_cursor(sink, seq, generation, replay_until) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT(sink) DO UPDATE SET seq = excluded.seq
                WHERE sink_cursor.generation = excluded.generation
                """)
            // Entries are appended in seq order at a clock that moves forward, so what is old
            // enough is a prefix: it ends before the first entry appended at or after the bound,
            // found by reading from the oldest. One upper bound, so that SQLite searches the
            // rowid range: `seq <= ?1 AND appended_at < ?2` (or two bounds) read every entry up
            // to the cursor, ~1 KB each, every 10 s: 115 ms for 200 000 entries, and a
            // 200 ms stall of every reply waiting for that commit.
            purgeLogStatement = try connection.prepare(
                """
                DELETE FROM result_log WHERE seq <= min(?1, coalesce(
                    (SELECT seq - 1 FROM result_log WHERE seq <= ?1 AND appended_at >= ?2 ORDER BY seq LIMIT 1),
                    ?1))
                """)
            readLogStatement = try connection.prepare(
                """
                SELECT seq, appended_at, outcome, operation, correlation_id, record FROM result_log
                WHERE seq > ? ORDER BY seq LIMIT ?
                """)
            insertStatement = try connection.prepare(
                """
                INSERT OR REPLACE INTO request(correlation_id, operation, content_type, timestamp_utc, ticket_id,
                    body, body_hash, deadline, state, resolved_at, reply_hash, confirmed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            // The body stays until the result is confirmed: an unconfirmed result may be emitted
            // again after a restart, and then carries the request in full.
            resolveStatement = try connection.prepare(
                """
                UPDATE request SET state = ?1, resolved_at = ?2, reply_hash = ?3, confirmed = ?5,
                    body = CASE WHEN ?5 THEN NULL ELSE body END, answer = CASE WHEN ?5 THEN NULL ELSE answer END,
                    answer_status = CASE WHEN ?5 THEN NULL ELSE answer_status END,
                    answered_at = CASE WHEN ?5 THEN NULL ELSE answered_at END
                WHERE correlation_id = ?4
                """)
            confirmStatement = try connection.prepare(
                """
                UPDATE request SET confirmed = 1, body = NULL, answer = NULL, answer_status = NULL, answered_at = NULL
                WHERE correlation_id = ? AND state <> 0
                """)
            markSentStatement = try connection.prepare("UPDATE request SET sent = 1 WHERE correlation_id = ?")
            recordAnswerStatement = try connection.prepare(
                "UPDATE request SET answer = ?, answer_status = ?, answered_at = ? WHERE correlation_id = ?")
            purgeStatement = try connection.prepare(
                "DELETE FROM request WHERE state <> 0 AND resolved_at <= ?")
        } catch {
            throw error.isCorruption
                ? .corrupt(path: path, reason: error.message)
                : .cannotOpen(path: path, reason: error.message)
        }
    }

    deinit {
        sqlite3_finalize(insertStatement)
        sqlite3_finalize(resolveStatement)
        sqlite3_finalize(purgeStatement)
        sqlite3_finalize(confirmStatement)
        sqlite3_finalize(markSentStatement)
        sqlite3_finalize(recordAnswerStatement)
        sqlite3_finalize(appendStatement)
        sqlite3_finalize(cursorStatement)
        sqlite3_finalize(purgeLogStatement)
        sqlite3_finalize(readLogStatement)
        connection.close()
    }

    func close() {
        connection.close()
    }

    /// The columns for active upstreams (the jackpot Bet Engine), added to files written before
    /// they existed; idempotent (a column already there is left alone).
    private static func addUpstreamColumns(_ connection: SQLiteConnection) throws(SQLiteConnection.Failure) {
        let statement = try connection.prepare("PRAGMA table_info(request)")
        var columns: Set<String> = []
        while sqlite3_step(statement) == SQLITE_ROW {
            if let name = connection.text(statement, 1) { columns.insert(name) }
        }
        sqlite3_finalize(statement)
        let added = [
            ("sent", "INTEGER NOT NULL DEFAULT 0"), ("answer", "BLOB"), ("answer_status", "INTEGER"),
            ("answered_at", "INTEGER"),
        ]
        for (name, type) in added where !columns.contains(name) {
            try connection.execute("ALTER TABLE request ADD COLUMN \(name) \(type)")
        }
    }

    func readRows(_ body: (PersistedRequest) -> Void) throws(CorrelationStoreError) {
        do throws(SQLiteConnection.Failure) {
            try Self.read(connection, where: nil, bind: { _ in }, each: body)
        } catch {
            throw error.isCorruption
                ? .corrupt(path: location, reason: error.message)
                : .cannotOpen(path: location, reason: error.message)
        }
    }

    /// The columns of a row, in ``decodeRow(_:_:)``'s order.
    static let columns = """
        correlation_id, operation, content_type, timestamp_utc, ticket_id, body, body_hash, deadline,
            state, resolved_at, reply_hash, confirmed, sent, answer, answer_status, answered_at
        """

    /// The rows `condition` selects (all of them without one); `bind` binds its parameters.
    static func read(
        _ connection: SQLiteConnection, where condition: String?, bind: (OpaquePointer) -> Void
    ) throws(SQLiteConnection.Failure) -> [PersistedRequest] {
        var rows: [PersistedRequest] = []
        try read(connection, where: condition, bind: bind) { rows.append($0) }
        return rows
    }

    /// As ``read(_:where:bind:)``, handing each row to `each` as it is decoded.
    static func read(
        _ connection: SQLiteConnection, where condition: String?, bind: (OpaquePointer) -> Void,
        each: (PersistedRequest) -> Void
    ) throws(SQLiteConnection.Failure) {
        let statement = try connection.prepare(
            "SELECT \(columns) FROM request" + (condition.map { " WHERE \($0)" } ?? ""))
        defer { sqlite3_finalize(statement) }
        bind(statement)
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw connection.failure(status) }
            each(try decodeRow(connection, statement))
        }
    }

    /// One row of ``columns``.
    static func decodeRow(
        _ connection: SQLiteConnection, _ statement: OpaquePointer
    ) throws(SQLiteConnection.Failure) -> PersistedRequest {
        guard let state = PersistedRequest.State(rawValue: connection.int64(statement, 8) ?? -1) else {
            throw SQLiteConnection.Failure(code: SQLITE_CORRUPT, message: "unknown request state")
        }
        let request = CorrelationRequest(
            correlationId: connection.text(statement, 0) ?? "",
            operation: connection.text(statement, 1) ?? "",
            contentType: connection.text(statement, 2) ?? "",
            timestampUtc: connection.int64(statement, 3) ?? 0,
            ticketId: connection.text(statement, 4), body: connection.blob(statement, 5))
        return PersistedRequest(
            request: request, bodyHash: UInt64(bitPattern: connection.int64(statement, 6) ?? 0),
            deadline: connection.int64(statement, 7) ?? 0, state: state,
            resolvedAt: connection.int64(statement, 9),
            replyHash: connection.int64(statement, 10).map { UInt64(bitPattern: $0) },
            confirmed: connection.int64(statement, 11) == 1,
            sent: connection.int64(statement, 12) == 1,
            answer: connection.int64(statement, 14).map { status in
                RecordedAnswer(
                    status: Int(status), body: connection.blob(statement, 13),
                    receivedAt: connection.int64(statement, 15) ?? 0)
            })
    }

    func readLogState() throws(CorrelationStoreError) -> ResultLogState {
        do throws(SQLiteConnection.Failure) {
            return try Self.readLogState(connection)
        } catch {
            throw error.isCorruption
                ? .corrupt(path: location, reason: error.message)
                : .cannotOpen(path: location, reason: error.message)
        }
    }

    /// The log's state in `connection` (the relay's, or a tool's).
    static func readLogState(
        _ connection: SQLiteConnection
    ) throws(SQLiteConnection.Failure) -> ResultLogState {
        var state = ResultLogState()
        let last = try connection.prepare("SELECT coalesce(max(seq), 0) FROM result_log")
        defer { sqlite3_finalize(last) }
        if sqlite3_step(last) == SQLITE_ROW { state.lastSeq = connection.int64(last, 0) ?? 0 }
        let oldest = try connection.prepare("SELECT seq, appended_at FROM result_log ORDER BY seq LIMIT 1")
        defer { sqlite3_finalize(oldest) }
        if sqlite3_step(oldest) == SQLITE_ROW {
            state.oldest = (connection.int64(oldest, 0) ?? 0, connection.int64(oldest, 1) ?? 0)
        }
        let cursors = try connection.prepare("SELECT sink, seq, generation, replay_until FROM sink_cursor")
        defer { sqlite3_finalize(cursors) }
        while sqlite3_step(cursors) == SQLITE_ROW {
            state.cursors.append(
                SinkCursor(
                    sink: connection.text(cursors, 0) ?? "", seq: connection.int64(cursors, 1) ?? 0,
                    generation: connection.int64(cursors, 2) ?? 0,
                    replayUntil: connection.int64(cursors, 3) ?? 0))
        }
        // The cursors may be ahead of a log emptied by hand: never number below them.
        state.lastSeq = max(state.lastSeq, state.cursors.map(\.seq).max() ?? 0)
        return state
    }

    func readLog(after seq: Int64, limit: Int) throws(CorrelationStoreError) -> [ResultLogEntry] {
        let statement = readLogStatement
        defer { sqlite3_reset(statement) }
        connection.bind(statement, 1, seq)
        connection.bind(statement, 2, Int64(limit))
        var entries: [ResultLogEntry] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else {
                throw .writeFailed(
                    path: location, reason: "reading the log: \(connection.failure(status).message)")
            }
            entries.append(
                ResultLogEntry(
                    seq: connection.int64(statement, 0) ?? 0, appendedAt: connection.int64(statement, 1) ?? 0,
                    outcome: connection.text(statement, 2) ?? "", operation: connection.text(statement, 3),
                    correlationId: connection.text(statement, 4), json: connection.blob(statement, 5)))
        }
        return entries
    }

    func replay(sink: String, from point: ReplayPoint) throws -> ReplayPlan {
        do {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let plan = try replayInTransaction(sink: sink, from: point)
                try connection.execute("COMMIT")
                return plan
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        } catch let error as SQLiteConnection.Failure {
            throw CorrelationStoreError.writeFailed(path: location, reason: error.message)
        }
    }

    private func replayInTransaction(sink: String, from point: ReplayPoint) throws -> ReplayPlan {
        let state = try Self.readLogState(connection)
        let fromSeq = try ResultLogReplay.startingSeq(
            of: point, oldest: state.oldest, lastSeq: state.lastSeq,
            firstAtOrAfter: { time in
                let statement = try connection.prepare(
                    "SELECT min(seq) FROM result_log WHERE appended_at >= ?")
                defer { sqlite3_finalize(statement) }
                connection.bind(statement, 1, time)
                return sqlite3_step(statement) == SQLITE_ROW ? connection.int64(statement, 0) : nil
            })
        let counting = try connection.prepare(
            "SELECT outcome, operation, count(*) FROM result_log WHERE seq >= ? GROUP BY outcome, operation")
        defer { sqlite3_finalize(counting) }
        connection.bind(counting, 1, fromSeq)
        var counts: [ReplayPlan.Count] = []
        while sqlite3_step(counting) == SQLITE_ROW {
            counts.append(
                ReplayPlan.Count(
                    outcome: connection.text(counting, 0) ?? "", operation: connection.text(counting, 1),
                    entries: Int(connection.int64(counting, 2) ?? 0)))
        }
        let update = try connection.prepare(
            """
            INSERT INTO sink_cursor(sink, seq, generation, replay_until) VALUES (?1, ?2, 1, ?3)
            ON CONFLICT(sink) DO UPDATE SET seq = excluded.seq, generation = sink_cursor.generation + 1,
                replay_until = excluded.replay_until
            """)
        defer { sqlite3_finalize(update) }
        connection.bind(update, 1, sink)
        connection.bind(update, 2, fromSeq - 1)
        connection.bind(update, 3, state.lastSeq)
        try connection.run(update)
        return ReplayPlan(sink: sink, fromSeq: fromSeq, throughSeq: state.lastSeq, counts: counts.sorted())
    }

    func write(
        _ effects: [PersistenceEffect], log: LogChanges, beforeCommit: (() -> Void)?
    ) throws(CorrelationStoreError) {
        do throws(SQLiteConnection.Failure) {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                for effect in effects { try apply(effect) }
                try apply(log)
                beforeCommit?()
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        } catch {
            switch error.code & 0xff {
            case SQLITE_CONSTRAINT, SQLITE_TOOBIG, SQLITE_MISMATCH:
                throw .refused(path: location, reason: error.message)
            case SQLITE_FULL:
                throw .diskFull(path: location, reason: error.message)
            default:
                throw .writeFailed(path: location, reason: error.message)
            }
        }
    }

    private func apply(_ log: LogChanges) throws(SQLiteConnection.Failure) {
        for entry in log.appends {
            let statement = appendStatement
            connection.bind(statement, 1, entry.seq)
            connection.bind(statement, 2, entry.appendedAt)
            connection.bind(statement, 3, entry.outcome)
            connection.bind(statement, 4, entry.operation)
            connection.bind(statement, 5, entry.correlationId)
            connection.bind(statement, 6, bytes: entry.json)
            try connection.run(statement)
        }
        for cursor in log.cursors.values {
            connection.bind(cursorStatement, 1, cursor.sink)
            connection.bind(cursorStatement, 2, cursor.seq)
            connection.bind(cursorStatement, 3, cursor.generation)
            connection.bind(cursorStatement, 4, cursor.replayUntil)
            try connection.run(cursorStatement)
        }
        if let purge = log.purge {
            connection.bind(purgeLogStatement, 1, purge.throughSeq)
            connection.bind(purgeLogStatement, 2, purge.before)
            try connection.run(purgeLogStatement)
        }
    }

    private func apply(_ effect: PersistenceEffect) throws(SQLiteConnection.Failure) {
        switch effect {
        case .insert(let row):
            let statement = insertStatement
            connection.bind(statement, 1, row.request.correlationId)
            connection.bind(statement, 2, row.request.operation)
            connection.bind(statement, 3, row.request.contentType)
            connection.bind(statement, 4, row.request.timestampUtc)
            connection.bind(statement, 5, row.request.ticketId)
            connection.bind(statement, 6, blob: row.request.body)
            connection.bind(statement, 7, Int64(bitPattern: row.bodyHash))
            connection.bind(statement, 8, row.deadline)
            connection.bind(statement, 9, row.state.rawValue)
            connection.bind(statement, 10, row.resolvedAt)
            connection.bind(statement, 11, row.replyHash.map { Int64(bitPattern: $0) })
            connection.bind(statement, 12, Int64(row.confirmed ? 1 : 0))
            try connection.run(statement)
        case .resolve(let correlationId, let state, let resolvedAt, let replyHash, let confirmed):
            let statement = resolveStatement
            connection.bind(statement, 1, state.rawValue)
            connection.bind(statement, 2, resolvedAt)
            connection.bind(statement, 3, replyHash.map { Int64(bitPattern: $0) })
            connection.bind(statement, 4, correlationId)
            connection.bind(statement, 5, Int64(confirmed ? 1 : 0))
            try connection.run(statement)
        case .purgeResolved(let through):
            connection.bind(purgeStatement, 1, through)
            try connection.run(purgeStatement)
        case .confirm(let correlationId):
            connection.bind(confirmStatement, 1, correlationId)
            try connection.run(confirmStatement)
        case .markSent(let correlationId):
            connection.bind(markSentStatement, 1, correlationId)
            try connection.run(markSentStatement)
        case .recordAnswer(let correlationId, let answer):
            let statement = recordAnswerStatement
            connection.bind(statement, 1, blob: answer.body)
            connection.bind(statement, 2, Int64(answer.status))
            connection.bind(statement, 3, answer.receivedAt)
            connection.bind(statement, 4, correlationId)
            try connection.run(statement)
        }
    }
}
