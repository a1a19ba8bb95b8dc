import MTSCorrelation
import TestSupport
import Testing

/// The actor: the ordered stream, the timer loop, backpressure, re-registration.
@Suite struct CorrelationEngineTests {
    let t0 = Fixtures.epoch

    @Test func resultsFromCallsAndFromTimeShareOneOrderedStream() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: Fixtures.configuration, clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a"))
        try await engine.register(Fixtures.request("b"))
        await engine.receive(Fixtures.reply("a", token: 1))
        await engine.receive(Fixtures.reply("zzz", token: 2))
        clock.advance(by: 1_001)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 2)
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched, .timeout, .unmatched])
        #expect(results.map(\.correlationId) == ["a", "b", "zzz"])
        #expect(results.map(\.id.rawValue) == [1, 2, 3])
        await engine.shutdown()
    }

    @Test func runFiresTimersFromTheInjectedClockAndEndsOnCancellation() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: Fixtures.configuration, clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await clock.waitForSleepers()
            clock.advance(by: 1_001)
            // The clock alone times nothing out; the watermark's move does, at once.
            await clock.waitForSleepers()
            #expect(await reader.drain(engine).isEmpty)
            await engine.advanceWatermark(.replies, queue: "replies", to: t0 + 1_001)
            let results = await reader.drain(engine)
            #expect(results.map(\.outcome) == [.timeout])
            #expect(results.first?.resolvedAt == t0 + 1_001)
            group.cancelAll()
            try await group.waitForAll()
        }
        await engine.shutdown()
    }

    @Test func registrationWaitsAtCapacityAndResumesWhenARequestResolves() async throws {
        var configuration = Fixtures.configuration
        configuration.capacity = 2
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: configuration, clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a"))
        try await engine.register(Fixtures.request("b"))
        try await withThrowingTaskGroup(of: RegistrationStatus.self) { group in
            group.addTask { try await engine.register(Fixtures.request("c")) }
            while await engine.waitingRegistrationCount < 1 { await Task.yield() }
            #expect(await engine.outstandingCount == 2, "nothing dropped, nothing overwritten")
            // A known id is answered without waiting, even at capacity.
            let again = try await engine.register(Fixtures.request("a"))
            #expect(again == .alreadyRegistered)
            await engine.receive(Fixtures.reply("a"))
            let waited = try await group.next()
            #expect(waited == .registered)
        }
        #expect(await engine.outstandingCount == 2)
        #expect(await reader.drain(engine).map(\.outcome) == [.matched])
        await engine.shutdown()
    }

    @Test func aWaitingRegistrationCanBeCancelled() async throws {
        var configuration = Fixtures.configuration
        configuration.capacity = 1
        let engine = try CorrelationEngine(
            configuration: configuration, clock: ManualCorrelationClock(now: t0))
        try await engine.register(Fixtures.request("a"))
        let waiting = Task { try await engine.register(Fixtures.request("b")) }
        while await engine.waitingRegistrationCount < 1 { await Task.yield() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(await engine.waitingRegistrationCount == 0)
        #expect(await engine.outstandingCount == 1)
        await engine.shutdown()
    }

    @Test func timeoutsFreeCapacityToo() async throws {
        var configuration = Fixtures.configuration
        configuration.capacity = 1
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: configuration, clock: clock)
        try await engine.register(Fixtures.request("a"))
        try await withThrowingTaskGroup(of: RegistrationStatus.self) { group in
            group.addTask { try await engine.register(Fixtures.request("b", at: t0 + 1_001)) }
            while await engine.waitingRegistrationCount < 1 { await Task.yield() }
            clock.advance(by: 1_001)
            await engine.processDueTimers(watermarksAt: clock.now())
            let waited = try await group.next()
            #expect(waited == .registered)
        }
        #expect(await engine.outstandingCount == 1)
        await engine.shutdown()
    }

    @Test func conflictingReRegistrationIsAnErrorAndIdenticalOneIsRecognised() async throws {
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0))
        #expect(try await engine.register(Fixtures.request("a", body: "x")) == .registered)
        #expect(try await engine.register(Fixtures.request("a", body: "x")) == .alreadyRegistered)
        await #expect(
            throws: CorrelationError.conflictingRegistration(correlationId: "a", existingState: .outstanding)
        ) {
            try await engine.register(Fixtures.request("a", body: "y"))
        }
        await engine.shutdown()
    }

    @Test func aWatermarkBeforeTheDeadlineTimesNothingOut() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: Fixtures.configuration, clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a"))
        clock.advance(by: 5_000)
        #expect(await engine.advanceWatermark(.replies, queue: "replies", to: t0 + 1_000) == 0)
        #expect(await engine.processDueTimers() == 0, "the clock alone decides nothing")
        #expect(await reader.drain(engine).isEmpty)
        #expect(await engine.advanceWatermark(.replies, queue: "replies", to: t0 + 1_001) == 1)
        #expect(await reader.drain(engine).map(\.outcome) == [.timeout])
        await engine.shutdown()
    }

    @Test func aRequestAlreadyPastItsDeadlineTimesOutInTheRegisteringCall() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: Fixtures.configuration, clock: clock)
        var reader = ResultReader(engine)
        await engine.advanceWatermark(.replies, queue: "replies", to: t0)
        try await engine.register(Fixtures.request("late", at: t0 - 5_000))
        // No timer turn in between: the timeout is already on the stream.
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.timeout])
        #expect(results.first?.correlationId == "late")
        #expect(await engine.outstandingCount == 0)
        await engine.shutdown()
    }

    @Test func tombstonesArePurgedWhileTheResultBufferIsFull() async throws {
        var configuration = Fixtures.configuration
        configuration.resultCapacity = 1
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: configuration, clock: clock)
        try await engine.register(Fixtures.request("a"))
        await engine.receive(Fixtures.reply("a"))
        #expect(engine.results.count == 1, "the matched result fills the buffer")
        #expect(await engine.tombstoneCount == 1)
        clock.advance(by: configuration.retention + 1)
        await engine.processDueTimers(watermarksAt: clock.now())
        #expect(await engine.tombstoneCount == 0, "a purge makes no result, so it needs no room")
        #expect(engine.results.count == 1)
        await engine.shutdown()
    }

    @Test func aTooLongIdIsRefusedAtCapacityWithoutWaiting() async throws {
        var configuration = Fixtures.configuration
        configuration.capacity = 1
        let engine = try CorrelationEngine(
            configuration: configuration, clock: ManualCorrelationClock(now: t0))
        try await engine.register(Fixtures.request("a"))
        let tooLong = String(repeating: "x", count: 70_000)
        // Returns at once although the table is full: nothing to wait for. (A wait fails the
        // test through finishedResult instead of hanging it.)
        let registering = Task { try await engine.register(contentsOf: [Fixtures.request(tooLong)]) }
        let outcomes = try await finishedResult(of: registering)?.get()
        #expect(outcomes == [.failure(.fieldTooLong(field: "correlationId", length: 70_000))])
        #expect(await engine.waitingRegistrationCount == 0)
        await engine.shutdown()
    }

    @Test func theTimerLoopEndsWhenTheEngineShutsDownWithAFullBuffer() async throws {
        var configuration = Fixtures.configuration
        configuration.resultCapacity = 1
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: configuration, clock: clock)
        _ = try await engine.register(contentsOf: [Fixtures.request("a"), Fixtures.request("b")])
        let loop = Task { try await engine.run() }
        await clock.waitForSleepers()
        clock.advance(by: 1_001)
        await engine.advanceWatermark(.replies, queue: "replies", to: t0 + 1_001)
        // One timeout fills the buffer; the other waits for room.
        #expect(await eventually { engine.results.count == 1 })
        await engine.shutdown()
        // Not cancelled: the loop must notice the shutdown by itself instead of spinning.
        let ended = await finishedResult(of: loop)
        #expect(ended != nil)
    }
}
