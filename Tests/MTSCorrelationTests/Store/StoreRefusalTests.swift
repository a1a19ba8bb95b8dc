import Foundation
import Testing

@testable import MTSCorrelation

/// A write the database refuses for one request's values (a data error) leaves that request
/// out and commits the rest of its batch; the store goes on. Values PostgreSQL refuses: text
/// with U+0000 (SQLSTATE 22021) and a key larger than a btree entry may be (54000). The
/// classifier refuses both before the engine sees them; this is the store's own defence.
@Suite struct StoreRefusalTests {
    let t0 = Fixtures.epoch

    @Test func aRefusedRequestIsLeftOutAndTheRestOfItsBatchCommits() async throws {
        let store = try TestStore(.postgres)
        // Random text: PostgreSQL compresses a large index entry, and repetitive text would fit.
        let longId = (0..<160).map { _ in UUID().uuidString }.joined()
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        let requests = [
            Fixtures.request("good-1"), Fixtures.request("nul-\u{0}-id"), Fixtures.request("good-2"),
            Fixtures.request(longId), Fixtures.request("good-3", ticketId: "a\u{0}b"),
            Fixtures.request("good-4"),
        ]
        let outcomes = try await engine.register(contentsOf: requests)
        let refused = outcomes.indices.filter {
            if case .failure(.storeRefused) = outcomes[$0] { return true }
            return false
        }
        #expect(refused == [1, 3, 4], "\(outcomes)")
        #expect(outcomes[0] == .success(.registered))
        #expect(outcomes[5] == .success(.registered))
        if case .failure(let error) = outcomes[1] { #expect(error.description.contains("22021"), "\(error)") }
        if case .failure(let error) = outcomes[3] { #expect(error.description.contains("54000"), "\(error)") }
        #expect(await engine.outstandingCount == 3)
        #expect(await engine.storeStatistics?.refusedEffects == 3)

        // The store goes on, and a refused id can be registered again once it is fixed.
        #expect(try await engine.register(Fixtures.request("good-3")) == .registered)
        #expect(try await engine.register(Fixtures.request("good-5")) == .registered)
        await engine.shutdown()

        let reopened = try await store.engine(clock: clock)
        #expect(await reopened.outstandingCount == 5)
        await reopened.shutdown()
        await store.remove()
    }
}
