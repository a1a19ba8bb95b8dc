import CSQLite
import Foundation
import Testing

@testable import MTSCorrelation

/// The store's marks for active upstreams (the jackpot Bet Engine): `sent` and the recorded
/// answer and their recovery, on both backends; and the migration of SQLite files written before
/// the columns existed.
@Suite struct UpstreamStoreTests {
    let t0 = Fixtures.epoch

    @Test(arguments: StoreKind.allCases)
    func aSentMarkIsDurableWhenMarkSentReturnsAndRecoveredWithItsRequest(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let killed = store.sibling()
        let engine = try await store.engine(clock: ManualCorrelationClock(now: t0))
        _ = try await engine.register(contentsOf: [Fixtures.request("sent"), Fixtures.request("unsent")])
        try await engine.markSent(["sent"])
        // Killed right after markSent returned (the daemon POSTs now).
        try await store.capture(into: killed)
        await engine.shutdown()

        let recovered = try await killed.engine(clock: ManualCorrelationClock(now: t0))
        let rows = recovered.recoveredRequests.sorted { $0.request.correlationId < $1.request.correlationId }
        #expect(rows.map(\.request.correlationId) == ["sent", "unsent"])
        #expect(rows.map(\.sent) == [true, false])
        #expect(rows.allSatisfy { $0.state == .outstanding && $0.answer == nil })
        #expect(rows[0].request.body == Fixtures.request("sent").body)
        await recovered.shutdown()
        await store.remove()
        await killed.remove()
    }

    @Test(arguments: StoreKind.allCases)
    func anUnconfirmedAnswerComesBackAndMatchesAgainAConfirmedOneDoesNot(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        var reader = ResultReader(engine)
        _ = try await engine.register(contentsOf: [
            Fixtures.request("confirmed"), Fixtures.request("unconfirmed"),
        ])
        try await engine.markSent(["confirmed", "unconfirmed"])
        for (index, id) in ["confirmed", "unconfirmed"].enumerated() {
            let answer = RecordedAnswer(
                status: 200, body: Array("{\"id\":\"\(id)\"}".utf8), receivedAt: t0 + 10)
            await engine.receive(
                Fixtures.reply(id, at: t0 + 10, token: UInt64(index), body: "{\"id\":\"\(id)\"}"),
                answer: answer)
        }
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched, .matched])
        try #require(results.count == 2)
        try await engine.confirm([results[0].id])
        await engine.shutdown()

        let restarted = try await store.engine(clock: clock)
        reader = ResultReader(restarted)
        let rows = restarted.recoveredRequests
        #expect(rows.map(\.request.correlationId) == ["unconfirmed"])
        let row = try #require(rows.first)
        // Its decision was to be written with its record: the request is outstanding, sent, and
        // keeps the answer.
        #expect(row.state == .outstanding && row.sent)
        let answer = try #require(row.answer)
        #expect(
            answer
                == RecordedAnswer(
                    status: 200, body: Array("{\"id\":\"unconfirmed\"}".utf8), receivedAt: t0 + 10))
        // Handed to the engine again, as a redelivered reply, it makes the same result again.
        await restarted.receive(
            Fixtures.reply(
                "unconfirmed", at: answer.receivedAt, token: 200, redelivered: true,
                body: String(decoding: answer.body, as: UTF8.self)))
        let again = await reader.drain(restarted)
        #expect(again.map(\.outcome) == [.matched])
        #expect(again.first?.request?.body == Fixtures.request("unconfirmed").body)
        await restarted.shutdown()
        await store.remove()
    }

    @Test func aFileWithoutTheNewColumnsIsMigratedAndKeepsItsRows() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("old.sqlite")
        // The schema as written before the upstream columns existed.
        var database: OpaquePointer?
        #expect(sqlite3_open(path, &database) == SQLITE_OK)
        let old = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE request(
                correlation_id TEXT PRIMARY KEY NOT NULL, operation TEXT NOT NULL, content_type TEXT NOT NULL,
                timestamp_utc INTEGER NOT NULL, ticket_id TEXT, body BLOB, body_hash INTEGER NOT NULL,
                deadline INTEGER NOT NULL, state INTEGER NOT NULL, resolved_at INTEGER, reply_hash INTEGER,
                confirmed INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            INSERT INTO request VALUES ('old', 'ticket-placement', 'ticket', \(t0), NULL, X'7B7D', 1, \(t0 + 1000), 0, NULL, NULL, 0);
            """
        #expect(sqlite3_exec(database, old, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(database)

        // First open: migrated, the row is there, not sent.
        let first = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0), storePath: path)
        #expect(await first.outstandingCount == 1)
        #expect(first.recoveredRequests.map(\.sent) == [false])
        try await first.markSent(["old"])
        await first.shutdown()
        // Second open: the migration is idempotent, and the mark is there.
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0), storePath: path)
        #expect(await engine.outstandingCount == 1)
        #expect(engine.recoveredRequests.map(\.sent) == [true])
        await engine.shutdown()
    }
}
