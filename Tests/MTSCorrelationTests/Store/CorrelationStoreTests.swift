import Foundation
import Synchronization
import Testing

@testable import MTSCorrelation

/// The durable store, on real SQLite files in a temporary directory.
///
/// A crash is simulated by copying the database files at a chosen instant
/// (``TemporaryDirectory/snapshotDatabase(_:to:)``) and recovering from the copy. A SIGKILL
/// loses exactly what the process had not yet handed to the kernel, so the copy is the state a
/// killed daemon leaves. This is deterministic, unlike killing a child process at a random
/// instant, and lets the test stop *inside* a batch: the store's before-commit hook takes the
/// copy after the batch's rows are written to the WAL but before `COMMIT`.
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

    @Test func aRegistrationIsDurableWhenRegisterReturns() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("relay.sqlite")
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0), storePath: path)
        try await engine.register(Fixtures.request("a"))
        // Killed right after register returned (the daemon acks now).
        TemporaryDirectory.snapshotDatabase(path, to: directory.file("killed.sqlite"))
        await engine.shutdown()

        let recovered = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0),
            storePath: directory.file("killed.sqlite"))
        #expect(await recovered.outstandingCount == 1)
        await recovered.shutdown()
    }

    @Test func recoveryAfterAKillInTheMiddleOfABatch() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("relay.sqlite")
        let killedPath = directory.file("killed.sqlite")
        let armed = Mutex(false)
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0), storePath: path,
            beforeCommit: {
                guard armed.withLock({ $0 }) else { return }
                armed.withLock { $0 = false }
                TemporaryDirectory.snapshotDatabase(path, to: killedPath)
            })
        try await engine.register(Fixtures.request("committed"))
        let walBefore = TemporaryDirectory.size(path + "-wal")
        armed.withLock { $0 = true }
        // 4 MiB, more than SQLite's 2 MiB page cache: its pages spill into the WAL before COMMIT,
        // so the killed copy really holds a half-written batch.
        let big = String(repeating: "x", count: 4 << 20)
        try await engine.register(Fixtures.request("in-flight", body: big))
        await engine.shutdown()
        #expect(
            TemporaryDirectory.size(killedPath + "-wal") > walBefore + (2 << 20), "uncommitted frames on disk"
        )

        let recovered = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0),
            storePath: killedPath)
        var reader = ResultReader(recovered)
        #expect(await recovered.outstandingCount == 1)
        // The committed request is there and matches; the half-written one is not (its register
        // never returned, so the daemon never acked it and the broker redelivers it).
        await recovered.receive(Fixtures.reply("committed"))
        #expect(await reader.drain(recovered).map(\.outcome) == [.matched])
        #expect(try await recovered.register(Fixtures.request("in-flight", body: big)) == .registered)
        await recovered.shutdown()
    }

    @Test func decisionsAreDurableAndUnconfirmedOnesAreRepeatedOnRedelivery() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("relay.sqlite")
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: clock, storePath: path)
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
        let restarted = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: clock, storePath: path)
        reader = ResultReader(restarted)
        // Both matches were durable before they were emitted, confirmed or not.
        #expect(await restarted.outstandingCount == 1)
        #expect(await restarted.tombstoneCount == 2)
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
    }

    @Test func anUnconfirmedTimeoutIsEmittedAgainAfterRestartAndAConfirmedOneIsNot() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("relay.sqlite")
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: clock, storePath: path)
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

        let restarted = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: clock, storePath: path)
        reader = ResultReader(restarted)
        // Emitted again at startup, without waiting for any grace: it was decided before the crash.
        let results = await reader.drain(restarted)
        #expect(results.map(\.correlationId) == ["unconfirmed"])
        #expect(results.first?.afterRecovery == true)
        // A late reply for the confirmed timeout is late, not unmatched: the tombstone survived.
        await restarted.receive(Fixtures.reply("confirmed"))
        #expect(await reader.drain(restarted).map(\.outcome) == [.late])
        await restarted.shutdown()
    }

    @Test func tombstonesArePurgedFromTheStoreAfterRetention() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("relay.sqlite")
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: clock, storePath: path)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a"))
        await engine.receive(Fixtures.reply("a"))
        try await engine.confirm(await reader.drain(engine).map(\.id))
        clock.advance(by: 10_000)
        await engine.processDueTimers(watermarksAt: clock.now())
        #expect(await engine.tombstoneCount == 0)
        await engine.shutdown()
        let restarted = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: clock, storePath: path)
        #expect(await restarted.tombstoneCount == 0)
        #expect(await restarted.outstandingCount == 0)
        await restarted.shutdown()
    }

    @Test func redeliveredRegistrationAfterRestartIsRecognised() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("relay.sqlite")
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: clock, storePath: path)
        try await engine.register(Fixtures.request("a", body: "same"))
        await engine.shutdown()  // killed after "durable", before the ack
        let restarted = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: clock, storePath: path)
        #expect(try await restarted.register(Fixtures.request("a", body: "same")) == .alreadyRegistered)
        await #expect(
            throws: CorrelationError.conflictingRegistration(correlationId: "a", existingState: .outstanding)
        ) {
            try await restarted.register(Fixtures.request("a", body: "other"))
        }
        await restarted.shutdown()
    }
}
