import Foundation
import Testing

@testable import MTSCorrelation

/// The two backends given the same effects in one transaction end with the same rows, however
/// the PostgreSQL backend groups them into multi-row statements.
@Suite struct StoreBackendParityTests {
    let t0 = Fixtures.epoch

    func row(_ id: String, body: String) -> PersistedRequest {
        PersistedRequest(
            request: Fixtures.request(id, body: body), bodyHash: UInt64(body.utf8.count),
            deadline: t0 + 1_000,
            state: .outstanding)
    }

    @Test func runsSplitAtAChangeOfKindAndAtAnIdSeenAgain() {
        let effects: [PersistenceEffect] = [
            .insert(row("a", body: "1")), .insert(row("b", body: "1")),
            .resolve(correlationId: "a", state: .matched, resolvedAt: t0, replyHash: 1),
            .resolve(correlationId: "b", state: .timedOut, resolvedAt: t0, replyHash: nil),
            .confirm(correlationId: "a"), .purgeResolved(through: t0), .purgeResolved(through: t0 + 1),
            .insert(row("a", body: "2")), .insert(row("a", body: "3")),
        ]
        let runs = PostgresBackend.runs(of: effects)
        #expect(runs.map(\.kind) == [.insert, .resolve, .confirm, .purge, .insert, .insert])
        #expect(runs.map(\.effects.count) == [2, 2, 1, 2, 1, 1], "purges in a row are one statement")
    }

    @Test func bothBackendsEndWithTheSameRows() async throws {
        let answer = RecordedAnswer(status: 200, body: Array("{}".utf8), receivedAt: t0 + 7)
        let effects: [PersistenceEffect] = [
            .insert(row("kept", body: "k")), .insert(row("purged", body: "p")),
            .insert(row("again", body: "1")),
            .insert(
                PersistedRequest(
                    request: Fixtures.request("no-ticket", ticketId: nil, body: ""), bodyHash: 0,
                    deadline: t0 + 5, state: .outstanding)),
            .markSent(correlationId: "kept"),
            .recordAnswer(correlationId: "kept", answer: answer),
            .resolve(correlationId: "kept", state: .matched, resolvedAt: t0 + 10, replyHash: UInt64.max),
            .resolve(correlationId: "purged", state: .timedOut, resolvedAt: t0 + 9, replyHash: nil),
            .confirm(correlationId: "purged"),
            .resolve(correlationId: "again", state: .timedOut, resolvedAt: t0 + 3, replyHash: nil),
            // Both resolved at or before t0+9, and gone; "kept" (resolved later) and the
            // outstanding ones stay.
            .insert(row("old-outstanding", body: "o")),
            .purgeResolved(through: t0 + 9), .insert(row("again", body: "22")),
            .confirm(correlationId: "again"),  // outstanding: a confirm changes nothing
        ]
        let directory = try TemporaryDirectory()
        let group = TestPostgres.uniqueGroup("parity")
        let (sqlite, postgres) = try await TestPostgres.onOwnThread {
            let sqlite = try SQLiteBackend(path: directory.file("parity.sqlite"))
            let postgres = try PostgresBackend(url: TestPostgres.url, group: group)
            defer {
                sqlite.close()
                postgres.close()
            }
            try sqlite.write(effects, log: LogChanges(), beforeCommit: nil)
            try postgres.write(effects, log: LogChanges(), beforeCommit: nil)
            let order = { (rows: [PersistedRequest]) in
                rows.sorted { $0.request.correlationId < $1.request.correlationId }
            }
            return (order(try sqlite.readRows()), order(try postgres.readRows()))
        }
        #expect(sqlite.map(\.request.correlationId) == ["again", "kept", "no-ticket", "old-outstanding"])
        #expect(postgres == sqlite)
        #expect(postgres.first { $0.request.correlationId == "kept" }?.answer == answer)
        #expect(postgres.first { $0.request.correlationId == "no-ticket" }?.request.ticketId == nil)
        directory.remove()
        await TestPostgres.drop(group: group)
    }

    @Test func bothBackendsKeepTheLogAndItsCursorsAlike() async throws {
        let json = Array(#"{"outcome":"matched"}"#.utf8)
        var entries: [ResultLogEntry] = []
        for seq in Int64(1)...6 {
            let outcome = seq == 3 ? "timeout" : "matched"
            let operation: String? = seq == 4 ? nil : "ticket"
            let id: String? = seq == 5 ? nil : "id-\(seq)"
            entries.append(
                ResultLogEntry(
                    seq: seq, appendedAt: 1_000 * seq, outcome: outcome, operation: operation,
                    correlationId: id,
                    // An empty record is stored as one, not as a refused NULL.
                    json: seq == 4 ? [] : json))
        }
        var first = LogChanges()
        first.appends = entries
        first.cursors = ["file": SinkCursor(sink: "file", seq: 4), "http": SinkCursor(sink: "http", seq: 2)]
        // A replay raises http's generation; a relay's move at the old generation is then
        // dropped. Entries up to 2 appended before 2.5 s are purged.
        var stale = LogChanges()
        stale.cursors = ["http": SinkCursor(sink: "http", seq: 6, generation: 0)]
        stale.purge = (throughSeq: 2, before: 2_500)
        let (appends, staleMove) = (first, stale)
        let directory = try TemporaryDirectory()
        let group = TestPostgres.uniqueGroup("log-parity")
        let (sqlite, postgres, oldest) = try await TestPostgres.onOwnThread {
            let sqlite = try SQLiteBackend(path: directory.file("log.sqlite"))
            let postgres = try PostgresBackend(url: TestPostgres.url, group: group)
            defer {
                sqlite.close()
                postgres.close()
            }
            var plans: [ReplayPlan] = []
            for backend in [sqlite, postgres] as [any StoreBackend] {
                try backend.write([], log: appends, beforeCommit: nil)
                plans.append(try backend.replay(sink: "http", from: .seq(2)))
                try backend.write([], log: staleMove, beforeCommit: nil)
            }
            #expect(plans[0] == plans[1])
            #expect(plans[0].fromSeq == 2 && plans[0].throughSeq == 6)
            #expect(plans[0].counts.map(\.entries).reduce(0, +) == 5)
            let read = { (backend: any StoreBackend) throws -> (ResultLogState, [ResultLogEntry]) in
                var state = try backend.readLogState()
                state.cursors.sort { $0.sink < $1.sink }
                return (state, try backend.readLog(after: 2, limit: 3))
            }
            let (readSQLite, readPostgres) = (try read(sqlite), try read(postgres))
            // Through the end but only what was appended before 4.5 s: seqs 3 and 4 go, the
            // time bound stopping the purge short of the cursor.
            var timeBound = LogChanges()
            timeBound.purge = (throughSeq: 6, before: 4_500)
            for backend in [sqlite, postgres] as [any StoreBackend] {
                try backend.write([], log: timeBound, beforeCommit: nil)
            }
            return (
                readSQLite, readPostgres,
                [try sqlite.readLogState().oldest?.seq, try postgres.readLogState().oldest?.seq]
            )
        }
        #expect(oldest == [5, 5])
        #expect(sqlite.0.lastSeq == 6)
        #expect(sqlite.0.oldest?.seq == 3)
        #expect(sqlite.0.oldest?.appendedAt == 3_000)
        #expect(
            sqlite.0.cursors == [
                SinkCursor(sink: "file", seq: 4),
                SinkCursor(sink: "http", seq: 1, generation: 1, replayUntil: 6),
            ], "the stale move at generation 0 must not overwrite the replayed cursor")
        #expect(sqlite.1 == Array(entries[2..<5]))  // after seq 2, three of them
        #expect(postgres.0 == sqlite.0)
        #expect(postgres.1 == sqlite.1)
        directory.remove()
        await TestPostgres.drop(group: group)
    }
}
