import Dispatch
import Synchronization
import TestSupport
import Testing

@testable import MTSCorrelation

/// The bounded result buffer: the timer loop makes no more results than it has room for,
/// inputs are never refused, and the consumer side (`next(max:)`) ends on cancellation and
/// after shutdown.
@Suite struct CorrelationResultsTests {
    let t0 = Fixtures.epoch
    let ids = (0..<10).map { "r\($0)" }

    /// Capacity 4 for results; everything else as the fixtures.
    func configuration() -> CorrelationConfiguration {
        var configuration = Fixtures.configuration
        configuration.resultCapacity = 4
        return configuration
    }

    /// Registers r0...r9 with deadlines t0 + 1000 + i, in reverse order so that deadline order
    /// is not registration order; all of them are due at t0 + 1010.
    func registerTen(_ engine: CorrelationEngine) async throws {
        let requests = ids.enumerated().reversed().map { Fixtures.request($1, at: t0 + Int64($0)) }
        let outcomes = try await engine.register(contentsOf: requests)
        #expect(outcomes == Array(repeating: .success(.registered), count: 10))
    }

    /// Takes results until `count` have arrived, checking the bound after each batch.
    func take(
        _ count: Int, from engine: CorrelationEngine, max: Int = 3
    ) async -> [CorrelationResult] {
        var taken: [CorrelationResult] = []
        while taken.count < count {
            guard let batch = await engine.results.next(max: max) else { break }
            #expect(!batch.isEmpty && batch.count <= max)
            #expect(engine.results.count <= engine.results.capacity)
            taken += batch
        }
        return taken
    }

    // MARK: The bound, by hand

    @Test func processDueTimersFiresOnlyAsManyAsThereIsRoomFor() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: configuration(), clock: clock)
        #expect(engine.results.capacity == 4)
        try await registerTen(engine)
        clock.advance(to: t0 + 1_010)

        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 4)
        #expect(engine.results.count == 4)
        #expect(await engine.outstandingCount == 6, "the others wait in the table")
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 0, "no room left")
        #expect(engine.results.count == 4)

        var timeouts = try #require(await engine.results.next(max: 3))
        #expect(timeouts.count == 3)
        #expect(engine.results.count == 1)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 3)
        #expect(engine.results.count == 4)
        #expect(await engine.outstandingCount == 3)

        timeouts += await take(4, from: engine, max: 10)
        #expect(engine.results.count == 0)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 3)
        timeouts += await take(3, from: engine, max: 10)

        #expect(timeouts.map(\.outcome) == Array(repeating: .timeout, count: 10))
        #expect(timeouts.map(\.correlationId) == ids, "each once, in deadline order")
        #expect(timeouts.map(\.resolvedAt) == Array(repeating: t0 + 1_010, count: 10))
        #expect(await engine.outstandingCount == 0)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 0)
        #expect(engine.results.count == 0)
        await engine.shutdown()
    }

    @Test func repliesAreAcceptedWhenTheBufferIsFull() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: configuration(), clock: clock)
        try await registerTen(engine)
        clock.advance(to: t0 + 1_010)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 4)
        #expect(engine.results.count == engine.results.capacity)

        // Replies to the four timed-out requests' tombstones: one `late` each.
        await engine.receive(
            contentsOf: (0..<3).map { .wellFormed(Fixtures.reply(ids[$0], token: UInt64($0))) })
        #expect(engine.results.count == 7, "inputs are never refused")
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 0)
        // A reply to an overdue request still outstanding times it out itself, past the bound too.
        await engine.receive(contentsOf: [.wellFormed(Fixtures.reply("r9", at: t0 + 1_010, token: 9))])
        #expect(engine.results.count == 9)
        #expect(await engine.outstandingCount == 5)

        let first = await take(9, from: engine, max: 100)
        #expect(
            first.map(\.outcome) == [
                .timeout, .timeout, .timeout, .timeout, .late, .late, .late, .timeout, .late,
            ])
        #expect(first.map(\.correlationId) == ["r0", "r1", "r2", "r3", "r0", "r1", "r2", "r9", "r9"])
        #expect(first.map(\.token) == [nil, nil, nil, nil, 0, 1, 2, nil, 9])

        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 4)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 0)
        var rest = await take(4, from: engine, max: 100)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 1)
        rest += await take(1, from: engine, max: 100)
        #expect(rest.map(\.correlationId) == ["r4", "r5", "r6", "r7", "r8"], "r9 is not timed out twice")
        #expect(await engine.outstandingCount == 0)
        await engine.shutdown()
    }

    // MARK: The bound, with the timer loop

    /// Runs the timer loop on ten due requests with nobody consuming, checks that it stops at the
    /// capacity, then consumes and checks that all ten arrive once, in deadline order.
    func runLoopStopsAtTheBound(_ engine: CorrelationEngine, clock: ManualCorrelationClock) async throws {
        try await registerTen(engine)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await clock.waitForSleepers()
            clock.advance(to: t0 + 1_010)
            await engine.advanceWatermark(.replies, queue: "replies", to: t0 + 1_010)
            #expect(await eventually { engine.results.count == 4 })
            // Nobody consumes: the loop waits for room instead of firing the other six.
            #expect(await eventually { engine.results.waiting.room })
            #expect(engine.results.count == 4)
            #expect(await engine.outstandingCount == 6)

            let timeouts = await take(10, from: engine)
            #expect(timeouts.map(\.outcome) == Array(repeating: .timeout, count: 10))
            #expect(timeouts.map(\.correlationId) == ids, "each once, in deadline order")
            #expect(await engine.outstandingCount == 0)
            // The loop goes back to sleeping on the clock; cancelling it ends run().
            await clock.waitForSleepers()
            #expect(engine.results.count == 0)
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func theTimerLoopStopsAtTheCapacityUntilTheConsumerTakesResults() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: configuration(), clock: clock)
        try await runLoopStopsAtTheBound(engine, clock: clock)
        await engine.shutdown()
    }

    @Test(.timeLimit(.minutes(1)), arguments: StoreKind.allCases)
    func theTimerLoopStopsAtTheCapacityWithTheStoreOn(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(configuration(), clock: clock)
        try await runLoopStopsAtTheBound(engine, clock: clock)
        await engine.shutdown()
        await store.remove()
    }

    @Test(.timeLimit(.minutes(1)))
    func theTimerLoopWaitingForRoomEndsWhenCancelled() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: configuration(), clock: clock)
        try await registerTen(engine)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await engine.run() }
            await clock.waitForSleepers()
            clock.advance(to: t0 + 1_010)
            await engine.advanceWatermark(.replies, queue: "replies", to: t0 + 1_010)
            #expect(await eventually { engine.results.count == 4 })
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(await engine.outstandingCount == 6)
        await engine.shutdown()
    }

    /// With the store on, a decision is written with its record, not before: results waiting
    /// in the buffer have written nothing yet, and they count toward its capacity all the same.
    @Test(.timeLimit(.minutes(1)), arguments: StoreKind.allCases)
    func decisionsWaitForTheirRecordsAndCountTowardTheCapacity(_ kind: StoreKind) async throws {
        let store = try TestStore(kind)
        let clock = ManualCorrelationClock(now: t0)
        let engine = try await store.engine(configuration(), clock: clock)
        try await registerTen(engine)
        clock.advance(to: t0 + 1_010)
        try await engine.log.waitDurable()
        let registered = try #require(await engine.storeStatistics).effects

        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 4)
        try await engine.log.waitDurable()
        #expect(await engine.storeStatistics?.effects == registered, "no decision written before its record")
        #expect(engine.results.count == 4)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 0)
        #expect(await engine.outstandingCount == 6)

        let timeouts = await take(4, from: engine, max: 10)
        #expect(timeouts.map(\.correlationId) == Array(ids.prefix(4)))
        let drafts = timeouts.map {
            ResultLogDraft(
                outcome: "timeout", operation: "ticket", correlationId: $0.correlationId, json: [1])
        }
        try await engine.appendToLog(drafts, confirming: timeouts.map(\.id))
        try await engine.log.waitDurable()
        // Each decision is one change (resolved and confirmed), beside its record.
        #expect(await engine.storeStatistics?.effects == registered + 4 + 4)
        #expect(await engine.unconfirmedCount == 0)

        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 4)
        #expect(engine.results.count == 4)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 0)
        let more = await take(4, from: engine, max: 10)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 2)
        let last = await take(2, from: engine, max: 10)
        #expect((timeouts + more + last).map(\.correlationId) == ids)
        #expect(await engine.unconfirmedCount == 6)
        await engine.shutdown()
        await store.remove()
    }

    // MARK: The consumer side

    @Test func nextReturnsNilWhenTheWaitingTaskIsCancelled() async throws {
        let engine = try CorrelationEngine(
            configuration: configuration(), clock: ManualCorrelationClock(now: t0))
        let consumer = Task { await engine.results.next(max: 4) }
        // Cancelled while it waits (the path under test).
        #expect(await eventually { engine.results.waiting.consumer })
        consumer.cancel()
        let taken = try #require(await finishedResult(of: consumer)).get()
        #expect(taken == nil)

        // The cancelled consumer left nothing behind: another one takes the next result.
        await engine.receiveRejected(RejectedMessage(correlationId: nil, body: [], token: 7, reason: "r"))
        let next = await engine.results.next(max: 4)
        #expect(next?.map(\.token) == [7])
        await engine.shutdown()
    }

    @Test func aCancelledConsumerStillGetsWhatIsBuffered() async throws {
        let engine = try CorrelationEngine(
            configuration: configuration(), clock: ManualCorrelationClock(now: t0))
        await engine.receiveRejected(RejectedMessage(correlationId: nil, body: [], token: 1, reason: "r"))
        let consumer = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            let first = await engine.results.next(max: 4)
            let second = await engine.results.next(max: 4)
            return [first?.map(\.token), second?.map(\.token)]
        }
        let tokens = try #require(await finishedResult(of: consumer)).get()
        #expect(tokens == [[1], nil])
        await engine.shutdown()
    }

    @Test func nextReturnsTheRemainderThenNilAfterShutdown() async throws {
        let engine = try CorrelationEngine(
            configuration: configuration(), clock: ManualCorrelationClock(now: t0))
        await engine.receive(
            contentsOf: (1...3).map {
                .rejected(RejectedMessage(correlationId: nil, body: [], token: UInt64($0), reason: "r"))
            })
        await engine.shutdown()
        #expect(await engine.results.next(max: 2)?.map(\.token) == [1, 2])
        #expect(await engine.results.next(max: 2)?.map(\.token) == [3])
        #expect(await engine.results.next(max: 2) == nil)
        #expect(await engine.results.next(max: 2) == nil)
        var iterator = engine.results.makeAsyncIterator()
        let fromIterator = await iterator.next()
        #expect(fromIterator == nil)
    }

    @Test func aWaitingConsumerGetsNilAtShutdown() async throws {
        let engine = try CorrelationEngine(
            configuration: configuration(), clock: ManualCorrelationClock(now: t0))
        let consumer = Task { () -> [UInt64?] in
            var tokens: [UInt64?] = []
            for await result in engine.results { tokens.append(result.token) }
            return tokens
        }
        await engine.receiveRejected(RejectedMessage(correlationId: nil, body: [], token: 1, reason: "r"))
        // The consumer took it and waits for more when the engine shuts down.
        #expect(await eventually { engine.results.count == 0 && engine.results.waiting.consumer })
        await engine.shutdown()
        let tokens = try #require(await finishedResult(of: consumer)).get()
        #expect(tokens == [1])
    }
}
