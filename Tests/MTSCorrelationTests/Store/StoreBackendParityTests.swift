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
            .confirm(correlationId: "a"), .purge(correlationId: "a"),
            .insert(row("a", body: "2")), .insert(row("a", body: "3")),
        ]
        let runs = PostgresBackend.runs(of: effects)
        #expect(runs.map(\.kind) == [.insert, .resolve, .confirm, .purge, .insert, .insert])
        #expect(runs.map(\.effects.count) == [2, 2, 1, 1, 1, 1])
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
            .resolve(correlationId: "kept", state: .matched, resolvedAt: t0 + 9, replyHash: UInt64.max),
            .resolve(correlationId: "purged", state: .timedOut, resolvedAt: t0 + 9, replyHash: nil),
            .confirm(correlationId: "purged"), .purge(correlationId: "purged"),
            .resolve(correlationId: "again", state: .timedOut, resolvedAt: t0 + 3, replyHash: nil),
            .purge(correlationId: "again"), .insert(row("again", body: "22")),
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
            try sqlite.write(effects, beforeCommit: nil)
            try postgres.write(effects, beforeCommit: nil)
            let order = { (rows: [PersistedRequest]) in
                rows.sorted { $0.request.correlationId < $1.request.correlationId }
            }
            return (order(try sqlite.readRows()), order(try postgres.readRows()))
        }
        #expect(sqlite.map(\.request.correlationId) == ["again", "kept", "no-ticket"])
        #expect(postgres == sqlite)
        #expect(postgres.first { $0.request.correlationId == "kept" }?.answer == answer)
        #expect(postgres.first { $0.request.correlationId == "no-ticket" }?.request.ticketId == nil)
        directory.remove()
        await TestPostgres.drop(group: group)
    }
}
