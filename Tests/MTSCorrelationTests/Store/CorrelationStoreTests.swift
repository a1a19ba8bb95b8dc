import Foundation
import Synchronization
import TestSupport
import Testing

@testable import MTSCorrelation

/// The durable store, on both backends: real SQLite files in a temporary directory, and a real
/// PostgreSQL server (``TestPostgres``), each test in a group of its own.
///
/// A crash is simulated by copying the store at a chosen instant (``TestStore/capture(into:)``)
/// and recovering from the copy. A SIGKILL loses exactly what the process had not yet handed to
/// the kernel (SQLite) or had not committed (PostgreSQL), so the copy is the state a killed
/// daemon leaves. This is deterministic, unlike killing a child process at a random instant,
/// and lets the test stop *inside* a batch: the store's before-commit hook takes the copy after
/// the batch's rows are written but before `COMMIT`.
@Suite struct CorrelationStoreTests {
    let t0 = Fixtures.epoch

    @Test func aMissingDirectoryIsAnErrorNamingThePath() throws {
        let path = "/nonexistent-\(UUID().uuidString)/relay.sqlite"
        #expect(throws: CorrelationStoreError.directoryMissing(path: path)) {
            _ = try CorrelationEngine(clock: ManualCorrelationClock(now: t0), storePath: path)
        }
        #expect(CorrelationStoreError.directoryMissing(path: path).description.contains(path))
    }

    @Test func aCorruptFileIsAnErrorNamingThePath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("relay.sqlite")
        try Data(repeating: 0x5A, count: 8_192).write(to: URL(fileURLWithPath: path))
        do {
            _ = try CorrelationEngine(clock: ManualCorrelationClock(now: t0), storePath: path)
            Issue.record("opening a corrupt file succeeded")
        } catch let error as CorrelationStoreError {
            guard case .corrupt(let reported, _) = error else {
                Issue.record("expected .corrupt, got \(error)")
                return
            }
            #expect(reported == path)
            #expect(error.description.contains(path))
        }
    }

    @Test func anUnreachablePostgreSQLIsAnErrorNamingTheServerNotThePassword() async throws {
        // Port 1 on loopback: nothing listens there.
        let url = "postgresql://relay:s3cret-Pa55@127.0.0.1:1/relaydb"
        do {
            _ = try await CorrelationEngine(
                clock: ManualCorrelationClock(now: t0), store: .postgres(url: url))
            Issue.record("connecting to a closed port succeeded")
        } catch let error as CorrelationStoreError {
            guard case .cannotOpen(let location, let reason) = error else {
                Issue.record("expected .cannotOpen, got \(error)")
                return
            }
            #expect(location.hasPrefix("postgresql://relay@127.0.0.1:1/relaydb"))
            #expect(reason.contains("cannot connect"))
            #expect(!"\(error)".contains("s3cret"))
            #expect(!String(reflecting: error).contains("s3cret"))
        }
    }

    @Test func aWrongPostgreSQLPasswordIsRefusedWithoutQuotingIt() async throws {
        var parsed = try PostgresURL(TestPostgres.url)
        let wrong = "wrong-\(UUID().uuidString)"
        let url = "postgresql://\(parsed.username):\(wrong)@\(parsed.host):\(parsed.port)/\(parsed.database)"
        parsed.password = nil
        do {
            _ = try await CorrelationEngine(
                clock: ManualCorrelationClock(now: t0), store: .postgres(url: url))
            Issue.record("a wrong password was accepted")
        } catch let error as CorrelationStoreError {
            guard case .cannotOpen(let location, _) = error else {
                Issue.record("expected .cannotOpen, got \(error)")
                return
            }
            #expect(location.hasPrefix(parsed.redacted))
            #expect(!"\(error)".contains(wrong))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRegistrationIsDurableWhenRegisterReturns(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let killed = store.sibling()
        let engine = try await store.engine(clock: ManualCorrelationClock(now: t0))
        try await engine.register(Fixtures.request("a"))
        // Killed right after register returned (the daemon acks now).
        try await store.capture(into: killed)
        await engine.shutdown()

        let recovered = try await killed.engine(clock: ManualCorrelationClock(now: t0))
        #expect(await recovered.outstandingCount == 1)
        await recovered.shutdown()
        await store.remove()
        await killed.remove()
    }

    /// The intake's pipeline: `submit` returns while the batch's commit is still held (a reply
    /// matches it at once), and `durable` returns only once it committed.
    @Test(arguments: StoreKind.allCases)
    func aSubmittedRegistrationMatchesAtOnceAndIsDurableWhenDurableReturns(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let killed = store.sibling()
        let gate = CommitGate()
        let engine = try await store.engine(clock: ManualCorrelationClock(now: t0), beforeCommit: gate.hook)
        var reader = ResultReader(engine)
        gate.arm()
        let submitted = try await engine.submit(contentsOf: [Fixtures.request("a")])
        #expect(!gate.heldTooLong, "submit returned only after its commit")
        guard case .success(.registered) = submitted.outcomes.first else {
            Issue.record("submitted: \(submitted.outcomes)")
            return
        }
        // In the table already: the reply matches (its result follows the commits).
        await engine.receive(Fixtures.reply("a", token: 1))
        #expect(await engine.outstandingCount == 0)

        gate.release()
        let outcomes = try await engine.durable([submitted])
        guard case .success(.registered) = outcomes.first?.first else {
            Issue.record("durable: \(outcomes)")
            return
        }
        // Killed right after durable returned (the daemon acks now): the request is there.
        try await store.capture(into: killed)
        #expect(await reader.drain(engine).map(\.outcome) == [.matched])
        await engine.shutdown()
        let recovered = try await killed.engine(clock: ManualCorrelationClock(now: t0))
        #expect(try await recovered.register(Fixtures.request("a")) == .alreadyRegistered)
        await recovered.shutdown()
        await store.remove()
        await killed.remove()
    }

    @Test(arguments: StoreKind.allCases)
    func recoveryAfterAKillInTheMiddleOfABatch(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let killed = store.sibling()
        let armed = Mutex(false)
        let engine = try await store.engine(
            clock: ManualCorrelationClock(now: t0),
            beforeCommit: {
                guard armed.withLock({ $0 }) else { return }
                armed.withLock { $0 = false }
                store.captureBlocking(into: killed)
            })
        try await engine.register(Fixtures.request("committed"))
        let walBefore: Int
        if case .sqlite(let path) = store.location {
            walBefore = TemporaryDirectory.size(path + "-wal")
        } else {
            walBefore = 0
        }
        armed.withLock { $0 = true }
        // 4 MiB, more than SQLite's 2 MiB page cache: its pages spill into the WAL before COMMIT,
        // so the killed copy really holds a half-written batch.
        let big = String(repeating: "x", count: 4 << 20)
        try await engine.register(Fixtures.request("in-flight", body: big))
        await engine.shutdown()
        if case .sqlite(let killedPath) = killed.location {
            #expect(
                TemporaryDirectory.size(killedPath + "-wal") > walBefore + (2 << 20),
                "uncommitted frames on disk")
        }

        let recovered = try await killed.engine(clock: ManualCorrelationClock(now: t0))
        var reader = ResultReader(recovered)
        #expect(await recovered.outstandingCount == 1)
        // The committed request is there and matches; the half-written one is not (its register
        // never returned, so the daemon never acked it and the broker redelivers it).
        await recovered.receive(Fixtures.reply("committed"))
        #expect(await reader.drain(recovered).map(\.outcome) == [.matched])
        #expect(try await recovered.register(Fixtures.request("in-flight", body: big)) == .registered)
        await recovered.shutdown()
        await store.remove()
        await killed.remove()
    }

    @Test(arguments: StoreKind.allCases)
    func recordedDecisionsAreDurableAndUnrecordedOnesAreMadeAgainOnRedelivery(_ kind: StoreKind) async throws
    {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        var reader = ResultReader(engine)
        for id in ["confirmed", "unconfirmed", "silent"] { try await engine.register(Fixtures.request(id)) }
        await engine.receive(Fixtures.reply("confirmed", token: 1, body: "r1"))
        await engine.receive(Fixtures.reply("unconfirmed", token: 2, body: "r2"))
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched, .matched])
        try #require(results.count == 2)
        try await engine.confirm([results[0].id])
        #expect(await engine.unconfirmedCount == 1)
        // Killed here: "unconfirmed" was emitted but never confirmed.
        await engine.shutdown()

        // Restart 5 s later: every deadline has passed while the daemon was down, and the
        // tombstone is still inside its 10 s retention.
        clock.advance(to: t0 + 5_000)
        let restarted = try await store.engine(clock: clock)
        reader = ResultReader(restarted)
        // The confirmed match is durable; the other one was written with its record, which never
        // committed, so its request is outstanding again.
        #expect(await restarted.outstandingCount == 2)
        #expect(await restarted.tombstoneCount == 1)
        // The broker redelivers the replies that were not acked (both; the daemon acks after confirm,
        // and a crash between confirm and ack redelivers a confirmed one too).
        await restarted.receive(Fixtures.reply("confirmed", token: 11, redelivered: true, body: "r1"))
        await restarted.receive(Fixtures.reply("unconfirmed", token: 12, redelivered: true, body: "r2"))
        // A genuinely new second reply to the confirmed one.
        await restarted.receive(Fixtures.reply("confirmed", token: 13, body: "r3"))
        let again = await reader.drain(restarted)
        #expect(again.map(\.outcome) == [.matched, .matched, .duplicate])
        #expect(again.map(\.token) == [11, 12, 13])
        try #require(again.count == 3)
        // The confirmed one's record is in the log already: it is acknowledged, not recorded again.
        #expect(again.map(\.alreadyRecorded) == [true, false, false])
        #expect(again[1].afterRecovery)
        #expect(
            again[1].request?.body == Fixtures.request("unconfirmed").body,
            "an outstanding request keeps its body")
        // "silent" passed its deadline during downtime: no timeout until the reply queue's
        // watermark passes it, however long the clock runs.
        clock.advance(by: 60_000)
        #expect(await restarted.processDueTimers() == 0)
        #expect(await restarted.advanceWatermark(.replies, queue: "replies", to: t0 + 1_000) == 0)
        #expect(await restarted.advanceWatermark(.replies, queue: "replies", to: t0 + 1_001) == 1)
        let timeouts = await reader.drain(restarted)
        #expect(timeouts.map(\.outcome) == [.timeout])
        #expect(timeouts.first?.correlationId == "silent")
        #expect(timeouts.first?.afterRecovery == true)
        await restarted.shutdown()
        await store.remove()
    }

    @Test(arguments: StoreKind.allCases)
    func aReplyRedeliveredAfterItsRecordIsInTheLogIsNotRecordedAgain(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        var reader = ResultReader(engine)
        for id in ["logged", "pending"] { try await engine.register(Fixtures.request(id)) }
        await engine.receive(Fixtures.reply("logged", token: 1, body: "r1"))
        await engine.receive(Fixtures.reply("pending", token: 2, body: "r2"))
        let results = await reader.drain(engine)
        try #require(results.count == 2)
        let draft = ResultLogDraft(
            outcome: "matched", operation: "ticket", correlationId: "logged", json: Array("{}".utf8))
        try await engine.appendToLog([draft], confirming: [results[0].id])
        try await engine.log.waitDurable()
        // The channel closed before the acks: both replies come again.
        await engine.receive(Fixtures.reply("logged", token: 3, redelivered: true, body: "r1"))
        await engine.receive(Fixtures.reply("pending", token: 4, redelivered: true, body: "r2"))
        let again = await reader.drain(engine)
        #expect(again.map(\.outcome) == [.matched, .matched])
        #expect(again.map(\.alreadyRecorded) == [true, false])
        #expect(engine.log.lastSeq == 1)
        await engine.shutdown()
        // After a restart too.
        let restarted = try await store.engine(clock: clock)
        reader = ResultReader(restarted)
        await restarted.receive(Fixtures.reply("logged", token: 5, redelivered: true, body: "r1"))
        let afterRestart = await reader.drain(restarted)
        #expect(afterRestart.map(\.alreadyRecorded) == [true])
        await restarted.shutdown()
        await store.remove()
    }

    /// A result goes out before its decision commits (a reply waits for one commit, not two);
    /// its record follows the decision into the store. Killed before that commit, the decision
    /// and the record are lost together: the reply was never acknowledged, and its redelivery
    /// is decided again.
    /// A result goes out as it is decided; its decision is written with its record, in one
    /// transaction, so a crash inside that transaction loses both together.
    @Test(arguments: StoreKind.allCases)
    func aDecisionCommitsWithItsRecordAndACrashLosesBothTogether(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let killed = store.sibling()
        let gate = CommitGate { store.captureBlocking(into: killed) }
        let engine = try await store.engine(clock: ManualCorrelationClock(now: t0), beforeCommit: gate.hook)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a"))
        try await engine.log.waitDurable()
        let committed = try #require(await engine.storeStatistics).transactions
        await engine.receive(Fixtures.reply("a", token: 1, body: "r1"))
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched])
        try #require(results.count == 1)
        try await engine.log.waitDurable()
        #expect(await engine.storeStatistics?.transactions == committed, "the decision was written alone")
        // The record's transaction is held, and copied before its COMMIT.
        gate.arm()
        let draft = ResultLogDraft(
            outcome: "matched", operation: "ticket", correlationId: "a", json: Array("{}".utf8))
        try await engine.appendToLog([draft], confirming: [results[0].id])
        try await waitUntil("the record's transaction under way", timeout: .seconds(5)) { gate.isHolding }
        gate.release()
        try await engine.log.waitDurable()
        #expect(!gate.heldTooLong)
        #expect(engine.log.lastSeq == 1)
        #expect(await engine.tombstoneCount == 1)
        await engine.shutdown()

        // The copy: neither the decision nor the record.
        let recovered = try await killed.engine(clock: ManualCorrelationClock(now: t0))
        #expect(await recovered.outstandingCount == 1)
        #expect(recovered.log.lastSeq == 0)
        reader = ResultReader(recovered)
        await recovered.receive(Fixtures.reply("a", token: 2, redelivered: true, body: "r1"))
        let again = await reader.drain(recovered)
        #expect(again.map(\.outcome) == [.matched])
        #expect(again.map(\.alreadyRecorded) == [false])
        await recovered.shutdown()
        // The store itself: both.
        let restarted = try await store.engine(clock: ManualCorrelationClock(now: t0))
        #expect(await restarted.outstandingCount == 0)
        #expect(await restarted.tombstoneCount == 1)
        #expect(restarted.log.lastSeq == 1)
        await restarted.shutdown()
        await store.remove()
        await killed.remove()
    }

    /// A sink's cursor move, which no longer wakes the writer, still commits when nothing else
    /// is written, and commits with work queued beside it. (That a lone move waits a few
    /// milliseconds for company is a timing property: the demo's commits per second show it.)
    @Test(arguments: StoreKind.allCases)
    func aCursorMoveRidesWithTheNextTransactionOrCommitsAloneSoon(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let gate = CommitGate()
        let engine = try await store.engine(clock: ManualCorrelationClock(now: t0), beforeCommit: gate.hook)
        let draft = ResultLogDraft(
            outcome: "matched", operation: "ticket", correlationId: "a", json: Array("{}".utf8))
        func transactions() async -> Int { await engine.storeStatistics?.transactions ?? -1 }

        // Alone: committed by itself, without any other work or wait to push it.
        let before = await transactions()
        engine.log.move(SinkCursor(sink: "file", seq: 0))
        try await waitUntil("the lone cursor move committed", timeout: .seconds(5)) {
            await transactions() == before + 1
        }
        // With company: while one transaction is held, a cursor move and an append queue up;
        // they commit together in the next one.
        gate.arm()
        try await engine.appendToLog([draft], confirming: [])
        try await waitUntil("the held transaction under way", timeout: .seconds(5)) { gate.isHolding }
        engine.log.move(SinkCursor(sink: "file", seq: 1))
        try await engine.appendToLog([draft], confirming: [])
        gate.release()
        try await engine.log.waitDurable()
        #expect(await transactions() == before + 3)
        #expect(try await engine.log.state().cursors == [SinkCursor(sink: "file", seq: 1)])
        #expect(!gate.heldTooLong)
        await engine.shutdown()
        await store.remove()
    }

    @Test(arguments: StoreKind.allCases)
    func anUnrecordedTimeoutIsDecidedAgainAfterRestartAndARecordedOneIsNot(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("confirmed"))
        try await engine.register(Fixtures.request("unconfirmed", at: t0 + 1))
        clock.advance(by: 1_001)
        await engine.processDueTimers(watermarksAt: clock.now())
        let first = try #require(await reader.drain(engine).first)
        #expect(first.correlationId == "confirmed")
        try await engine.confirm([first.id])
        clock.advance(by: 1)
        await engine.processDueTimers(watermarksAt: clock.now())
        #expect(await reader.drain(engine).map(\.correlationId) == ["unconfirmed"])
        await engine.shutdown()

        let restarted = try await store.engine(clock: clock)
        reader = ResultReader(restarted)
        // Its decision was to be written with its record, which never committed: the request is
        // outstanding again and times out again once the reply queue's watermark passes its
        // deadline, as after any restart.
        #expect(await restarted.outstandingCount == 1)
        #expect(await restarted.processDueTimers() == 0)
        #expect(await restarted.advanceWatermark(.replies, queue: "replies", to: t0 + 1_002) == 1)
        let results = await reader.drain(restarted)
        #expect(results.map(\.correlationId) == ["unconfirmed"])
        #expect(results.first?.afterRecovery == true)
        // A late reply for the confirmed timeout is late, not unmatched: the tombstone survived.
        await restarted.receive(Fixtures.reply("confirmed"))
        #expect(await reader.drain(restarted).map(\.outcome) == [.late])
        await restarted.shutdown()
        await store.remove()
    }

    @Test(arguments: StoreKind.allCases)
    func tombstonesArePurgedFromTheStoreAfterRetention(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a"))
        await engine.receive(Fixtures.reply("a"))
        try await engine.confirm(await reader.drain(engine).map(\.id))
        clock.advance(by: 10_000)
        await engine.processDueTimers(watermarksAt: clock.now())
        #expect(await engine.tombstoneCount == 0)
        await engine.shutdown()
        let restarted = try await store.engine(clock: clock)
        #expect(await restarted.tombstoneCount == 0)
        #expect(await restarted.outstandingCount == 0)
        await restarted.shutdown()
        await store.remove()
    }

    /// A tombstone is not purged before the record of its decision is queued: retention ends,
    /// the tombstone stays (the id is still the old request's), and the first purge after the
    /// record removes it; a new registration of the id then stands alone.
    @Test(arguments: StoreKind.allCases)
    func aTombstoneOutlivesItsRetentionUntilItsRecordIsQueued(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a", body: "first"))
        await engine.receive(Fixtures.reply("a"))
        let matched = try #require(await reader.drain(engine).first)
        #expect(matched.outcome == .matched)
        clock.advance(by: 10_000)
        await engine.processDueTimers(watermarksAt: clock.now())
        #expect(await engine.tombstoneCount == 1, "retention is over; the record is not queued yet")
        await #expect(
            throws: CorrelationError.conflictingRegistration(correlationId: "a", existingState: .matched)
        ) {
            try await engine.register(Fixtures.request("a", at: clock.now(), body: "second"))
        }
        let draft = ResultLogDraft(outcome: "matched", operation: "ticket", correlationId: "a", json: [1])
        try await engine.appendToLog([draft], confirming: [matched.id])
        clock.advance(by: 1_000)
        await engine.processDueTimers(watermarksAt: clock.now())
        #expect(await engine.tombstoneCount == 0)
        #expect(
            try await engine.register(Fixtures.request("a", at: clock.now(), body: "second")) == .registered)
        try await engine.log.waitDurable()
        await engine.shutdown()

        let restarted = try await store.engine(clock: clock)
        let rows = restarted.recoveredRequests
        #expect(rows.map(\.request.correlationId) == ["a"])
        #expect(rows.first?.state == .outstanding)
        #expect(rows.first?.request.body == Fixtures.request("a", body: "second").body)
        #expect(restarted.log.lastSeq == 1)
        await restarted.shutdown()
        await store.remove()
    }

    /// A crash after retention ended and before the record came: nothing of the decision was
    /// written and the tombstone was not purged, so the request is outstanding again and the
    /// broker's redelivery of its reply matches it. (Purged first, the row was gone and the
    /// reply waited as unknown, to end `unmatched`.)
    @Test(arguments: StoreKind.allCases)
    func aCrashAfterRetentionButBeforeTheRecordKeepsTheRequest(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a"))
        await engine.receive(Fixtures.reply("a", token: 1, body: "r1"))
        #expect(await reader.drain(engine).map(\.outcome) == [.matched])
        clock.advance(by: 10_000)
        await engine.processDueTimers(watermarksAt: clock.now())
        try await engine.log.waitDurable()
        await engine.shutdown()  // killed: the record never came

        let recovered = try await store.engine(clock: clock)
        #expect(await recovered.outstandingCount == 1)
        reader = ResultReader(recovered)
        await recovered.receive(Fixtures.reply("a", token: 2, redelivered: true, body: "r1"))
        #expect(await reader.drain(recovered).map(\.outcome) == [.matched])
        await recovered.shutdown()
        await store.remove()
    }

    @Test(arguments: StoreKind.allCases)
    func redeliveredRegistrationAfterRestartIsRecognised(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(clock: clock)
        try await engine.register(Fixtures.request("a", body: "same"))
        await engine.shutdown()  // killed after "durable", before the ack
        let restarted = try await store.engine(clock: clock)
        #expect(try await restarted.register(Fixtures.request("a", body: "same")) == .alreadyRegistered)
        await #expect(
            throws: CorrelationError.conflictingRegistration(correlationId: "a", existingState: .outstanding)
        ) {
            try await restarted.register(Fixtures.request("a", body: "other"))
        }
        await restarted.shutdown()
        await store.remove()
    }

    @Test func groupsSharingADatabaseSeeOnlyTheirOwnRows() async throws {
        let first = try TestStore(.postgres)
        let second = try TestStore(.postgres)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await first.engine(clock: clock)
        _ = try await engine.register(contentsOf: [Fixtures.request("a"), Fixtures.request("b")])
        let other = try await second.engine(clock: clock)
        // The same id in another group is another request.
        #expect(try await other.register(Fixtures.request("a", body: "other")) == .registered)
        await engine.shutdown()
        await other.shutdown()
        let reopened = try await first.engine(clock: clock)
        let reopenedOther = try await second.engine(clock: clock)
        #expect(await reopened.outstandingCount == 2)
        #expect(await reopenedOther.outstandingCount == 1)
        await reopened.shutdown()
        await reopenedOther.shutdown()
        await first.remove()
        await second.remove()
    }
}
