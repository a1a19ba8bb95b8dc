import Foundation
import Synchronization
import TestSupport
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

    /// A refused value in a transaction that also holds a decision and its record: the decision
    /// never commits without the record (it would be a confirmed tombstone whose record is
    /// missing, and its redelivered reply acknowledged as already recorded). A copy is taken at
    /// every commit after the refusal; PostgreSQL's copy shows what was committed before it, so
    /// the copies together show every state a crash could leave.
    @Test func aRefusalNeverCommitsADecisionWithoutItsRecord() async throws {
        let store = try TestStore(.postgres)
        let copies = Mutex<[TestStore]>([])
        let capturing = Atomic(false)
        let gate = CommitGate()
        let engine = try await store.engine(
            clock: ManualCorrelationClock(now: t0),
            beforeCommit: {
                gate.hook()
                guard capturing.load(ordering: .sequentiallyConsistent) else { return }
                let copy = store.sibling("copy-\(copies.withLock { $0.count })")
                store.captureBlocking(into: copy)
                copies.withLock { $0.append(copy) }
            })
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("x"))
        await engine.receive(Fixtures.reply("x", token: 1, body: "r1"))
        let results = await reader.drain(engine)
        try #require(results.map(\.outcome) == [.matched])
        // Hold one transaction, so that what follows queues up into the next one together.
        gate.arm()
        let held = ResultLogDraft(outcome: "matched", operation: "ticket", correlationId: "held", json: [1])
        try await engine.appendToLog([held], confirming: [])
        try await waitUntil("the held transaction under way", timeout: .seconds(5)) { gate.isHolding }
        // A refused insert, then x's decision with its record.
        let refused = try await engine.submit(contentsOf: [Fixtures.request("nul-\u{0}-id")])
        let record = ResultLogDraft(outcome: "matched", operation: "ticket", correlationId: "x", json: [2])
        try await engine.appendToLog([record], confirming: [results[0].id])
        capturing.store(true, ordering: .sequentiallyConsistent)
        gate.release()
        let outcome = try #require(try await engine.durable([refused]).first?.first)
        if case .success = outcome { Issue.record("the request with U+0000 in its id was stored") }
        try await engine.log.waitDurable()
        capturing.store(false, ordering: .sequentiallyConsistent)
        #expect(!gate.heldTooLong)
        await engine.shutdown()

        let taken = copies.withLock { $0 }
        #expect(!taken.isEmpty)
        for (index, copy) in (taken + [store]).enumerated() {
            let recovered = try await copy.engine(clock: ManualCorrelationClock(now: t0))
            // "held" is seq 1, x's record seq 2.
            let recorded = recovered.log.lastSeq >= 2
            let decided = await recovered.outstandingCount == 0
            #expect(recorded || !decided, "state \(index): x decided and confirmed, its record missing")
            await recovered.shutdown()
        }
        for copy in taken { await copy.remove() }
        await store.remove()
    }
}
