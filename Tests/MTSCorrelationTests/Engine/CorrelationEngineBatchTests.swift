import MTSCorrelation
import TestSupport
import Testing

/// The batch forms: `register(contentsOf:)` and `receive(contentsOf:)`, and what a resolved
/// request still carries.
@Suite struct CorrelationEngineBatchTests {
    let t0 = Fixtures.epoch
    /// An operation with the fixtures' 5 s default timeout (ticket-placement has 1 s).
    let slow = "ticket-cancel"

    // MARK: register(contentsOf:)

    @Test func registerContentsOfAnswersEachRequestInInputOrder() async throws {
        let engine = try CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0))
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("known", body: "k"))
        try await engine.register(Fixtures.request("done", body: "d"))
        await engine.receive(Fixtures.reply("done"))
        #expect(await reader.drain(engine).map(\.outcome) == [.matched])

        let longest = String(repeating: "x", count: 65_535)
        let tooLong = String(repeating: "y", count: 65_536)
        let longTicket = String(repeating: "t", count: 32_768)
        let outcomes = try await engine.register(contentsOf: [
            Fixtures.request("n1", body: "one"),
            Fixtures.request("n1", body: "one"),
            Fixtures.request("known", body: "k"),
            Fixtures.request("known", body: "other"),
            Fixtures.request(tooLong),
            Fixtures.request("done", body: "d"),
            Fixtures.request("done", body: "e"),
            Fixtures.request("n1", body: "two"),
            Fixtures.request(longest),
            Fixtures.request("ticket", ticketId: longTicket),
            Fixtures.request("n2", body: "n2 body"),
        ])
        let expected: [Result<RegistrationStatus, CorrelationError>] = [
            .success(.registered),
            // The same id and body again in the same batch.
            .success(.alreadyRegistered),
            // A known outstanding id with its body.
            .success(.alreadyRegistered),
            .failure(.conflictingRegistration(correlationId: "known", existingState: .outstanding)),
            .failure(.fieldTooLong(field: "correlationId", length: 65_536)),
            // A tombstone in retention is known too.
            .success(.alreadyRegistered),
            .failure(.conflictingRegistration(correlationId: "done", existingState: .matched)),
            // Registered earlier in this batch, then offered with another body.
            .failure(.conflictingRegistration(correlationId: "n1", existingState: .outstanding)),
            .success(.registered),
            .failure(.fieldTooLong(field: "ticketId", length: 32_768)),
            .success(.registered),
        ]
        #expect(outcomes == expected)
        // known, n1, the longest id, n2: the refused requests did not stop the others.
        #expect(await engine.outstandingCount == 4)
        #expect(await engine.tombstoneCount == 1)

        await engine.receive(contentsOf: [
            .wellFormed(Fixtures.reply("n1", token: 1)),
            .wellFormed(Fixtures.reply("n2", token: 2)),
            .wellFormed(Fixtures.reply(longest, token: 3)),
            .wellFormed(Fixtures.reply("known", token: 4)),
            .wellFormed(Fixtures.reply(tooLong, token: 5)),
            .wellFormed(Fixtures.reply("ticket", token: 6)),
        ])
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched, .matched, .matched, .matched])
        #expect(results.map(\.token) == [1, 2, 3, 4])
        try #require(results.count == 4)
        // The first registration's body is kept; neither the conflict nor the repeat replaced it.
        #expect(
            results.map { $0.request?.body } == [
                Array("one".utf8), Array("n2 body".utf8), Fixtures.request(longest).body, Array("k".utf8),
            ])
        #expect(results[2].correlationId == longest)
        // The refused ids are unknown: their replies wait for a request.
        #expect(await engine.heldReplyCount == 2)
        #expect(await engine.outstandingCount == 0)
        await engine.shutdown()
    }

    @Test func aBatchResolvesTheRepliesHeldForItsRequests() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: Fixtures.configuration, clock: clock)
        var reader = ResultReader(engine)
        await engine.receive(contentsOf: [
            .wellFormed(Fixtures.reply("h", token: 5)),
            .wellFormed(Fixtures.reply("g", operation: slow, token: 6)),
        ])
        #expect(await engine.heldReplyCount == 2)
        #expect(await reader.drain(engine).isEmpty, "an unknown reply waits for its request")
        clock.advance(by: 100)

        let outcomes = try await engine.register(contentsOf: [
            Fixtures.request("x"),
            Fixtures.request("h", body: "h body"),
            Fixtures.request("x", body: "conflict"),
            // "g" was answered with the wrong operation: invalid, and it stays outstanding.
            Fixtures.request("g"),
        ])
        #expect(outcomes.count == 4)
        #expect(try outcomes[1].get() == .registered)
        #expect(try outcomes[3].get() == .registered)
        #expect(await engine.heldReplyCount == 0)
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched, .invalid])
        #expect(results.map(\.token) == [5, 6])
        let matched = try #require(results.first)
        #expect(matched.correlationId == "h")
        #expect(matched.request?.body == Array("h body".utf8))
        #expect(matched.replyReceivedAt == t0, "held since it arrived")
        #expect(matched.resolvedAt == t0 + 100)
        #expect(
            results.last?.invalidReason
                == .operationMismatch(requestOperation: "ticket-placement", replyOperation: slow))
        #expect(await engine.outstandingCount == 2)
        #expect(await engine.tombstoneCount == 1)
        await engine.shutdown()
    }

    @Test func aBatchWaitsAtCapacityAndResumesAsRequestsResolve() async throws {
        var configuration = Fixtures.configuration
        configuration.capacity = 2
        let engine = try CorrelationEngine(
            configuration: configuration, clock: ManualCorrelationClock(now: t0))
        var reader = ResultReader(engine)
        let batch = ["a", "b", "c", "d"].map { Fixtures.request($0) }
        let registering = Task { try await engine.register(contentsOf: batch) }
        #expect(await eventually { await engine.waitingRegistrationCount == 1 })
        #expect(await engine.outstandingCount == 2, "a and b, then it waits")

        await engine.receive(Fixtures.reply("a", token: 1))
        // Resumed: registers c, and waits again for d.
        #expect(await eventually { await engine.waitingRegistrationCount == 1 })
        #expect(await engine.outstandingCount == 2)
        #expect(await engine.tombstoneCount == 1)

        await engine.receive(Fixtures.reply("b", token: 2))
        let outcomes = try #require(await finishedResult(of: registering)).get()
        #expect(outcomes == Array(repeating: .success(.registered), count: 4))
        #expect(await engine.waitingRegistrationCount == 0)
        #expect(await engine.outstandingCount == 2)
        await engine.receive(contentsOf: [
            .wellFormed(Fixtures.reply("c", token: 3)), .wellFormed(Fixtures.reply("d", token: 4)),
        ])
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched, .matched, .matched, .matched])
        #expect(results.map(\.token) == [1, 2, 3, 4])
        #expect(await engine.heldReplyCount == 0, "c and d were registered")
        await engine.shutdown()
    }

    @Test func cancellingAWaitingBatchKeepsWhatItRegistered() async throws {
        var configuration = Fixtures.configuration
        configuration.capacity = 2
        let engine = try CorrelationEngine(
            configuration: configuration, clock: ManualCorrelationClock(now: t0))
        var reader = ResultReader(engine)
        let batch = ["a", "b", "c", "d"].map { Fixtures.request($0) }
        let waiting = Task { try await engine.register(contentsOf: batch) }
        #expect(await eventually { await engine.waitingRegistrationCount == 1 })
        await engine.receive(Fixtures.reply("a", token: 1))
        // c registered, d waits.
        #expect(await eventually { await engine.waitingRegistrationCount == 1 })
        waiting.cancel()
        let cancelled = try #require(await finishedResult(of: waiting))
        #expect(throws: CancellationError.self) { try cancelled.get() }
        #expect(await engine.waitingRegistrationCount == 0)
        #expect(await engine.outstandingCount == 2)
        #expect(await engine.tombstoneCount == 1)

        // The broker redelivers the batch (it was never acked): a, b and c are recognised, d is
        // new. b and c fill the table, so resolve b first to let d in.
        await engine.receive(Fixtures.reply("b", token: 2))
        let again = try await engine.register(contentsOf: batch)
        #expect(
            again == [
                .success(.alreadyRegistered), .success(.alreadyRegistered), .success(.alreadyRegistered),
                .success(.registered),
            ])
        await engine.receive(contentsOf: [
            .wellFormed(Fixtures.reply("c", token: 3)), .wellFormed(Fixtures.reply("d", token: 4)),
        ])
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched, .matched, .matched, .matched])
        #expect(results.map(\.correlationId) == ["a", "b", "c", "d"])
        await engine.shutdown()
    }

    // MARK: receive(contentsOf:)

    @Test func receiveContentsOfYieldsResultsInInputOrder() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: Fixtures.configuration, clock: clock)
        var reader = ResultReader(engine)
        _ = try await engine.register(contentsOf: [
            Fixtures.request("m", operation: slow), Fixtures.request("dup", operation: slow),
            Fixtures.request("late"), Fixtures.request("op", operation: slow),
        ])
        await engine.receive(Fixtures.reply("dup", operation: slow, token: 1))
        clock.advance(by: 1_001)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 1)
        #expect(await reader.drain(engine).map(\.outcome) == [.matched, .timeout])

        let rejectedBody = Array("{not json".utf8)
        await engine.receive(contentsOf: [
            .wellFormed(Fixtures.reply("m", operation: slow, token: 10)),
            .rejected(RejectedMessage(correlationId: "m", body: rejectedBody, token: 11, reason: "bad json")),
            .wellFormed(Fixtures.reply("dup", operation: slow, token: 12)),
            .wellFormed(Fixtures.reply("u", token: 13)),
            .wellFormed(Fixtures.reply("late", token: 14)),
            .wellFormed(Fixtures.reply("op", token: 15)),
            .rejected(
                RejectedMessage(correlationId: nil, body: [], token: 16, redelivered: true, reason: "empty")),
            .wellFormed(Fixtures.reply("w", operation: slow, token: 17)),
            .wellFormed(Fixtures.reply("m", operation: slow, token: 18)),
        ])
        let results = await reader.drain(engine)
        #expect(
            results.map(\.outcome) == [.matched, .invalid, .duplicate, .late, .invalid, .invalid, .duplicate])
        #expect(results.map(\.token) == [10, 11, 12, 14, 15, 16, 18])
        #expect(results.map(\.correlationId) == ["m", "m", "dup", "late", "op", nil, "m"])
        try #require(results.count == 7)
        #expect(results[1].invalidReason == .validationFailed("bad json"))
        #expect(results[1].rejected?.body == rejectedBody)
        #expect(
            results[1].request?.correlationId == "m", "a rejected message with a known id carries its request"
        )
        #expect(
            results[4].invalidReason
                == .operationMismatch(requestOperation: slow, replyOperation: "ticket-placement"))
        #expect(results[5].request == nil)
        #expect(results[5].redelivered)
        // Ids 1 and 2 went to the first results, 3 to the reader's marker; held replies take none yet.
        #expect(results.map(\.id.rawValue) == Array(4...10), "ids follow the decision order")
        #expect(await engine.heldReplyCount == 2)
        #expect(await engine.outstandingCount == 1, "op: a mismatched reply leaves it outstanding")

        // One held reply finds its request; the other's grace had already passed by the intake
        // watermark (t0 + 1 001 > t0 + 200), so the registration's actor turn makes it unmatched.
        try await engine.register(Fixtures.request("w", operation: slow))
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 0)
        let later = await reader.drain(engine)
        #expect(later.map(\.outcome) == [.matched, .unmatched])
        #expect(later.map(\.token) == [17, 13])
        #expect(await engine.heldReplyCount == 0)
        await engine.shutdown()
    }

    // MARK: Bodies of resolved requests

    @Test func theResolvingResultCarriesTheBodyAndLaterOnesDoNot() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: Fixtures.configuration, clock: clock)
        var reader = ResultReader(engine)
        let matchedBody = String(repeating: "{\"ticket\":\"body\"}", count: 30)
        let timedOutBody = "short"
        _ = try await engine.register(contentsOf: [
            Fixtures.request("m", ticketId: "ticket-m", body: matchedBody),
            Fixtures.request("t", ticketId: nil, body: timedOutBody),
            Fixtures.request("e", body: ""),
        ])
        await engine.receive(contentsOf: [
            .wellFormed(Fixtures.reply("m", token: 1)), .wellFormed(Fixtures.reply("e", token: 2)),
        ])
        clock.advance(by: 1_001)
        #expect(await engine.processDueTimers(watermarksAt: clock.now()) == 1)
        await engine.receive(contentsOf: [
            .wellFormed(Fixtures.reply("m", token: 3)), .wellFormed(Fixtures.reply("t", token: 4)),
        ])
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.matched, .matched, .timeout, .duplicate, .late])
        try #require(results.count == 5)
        #expect(results[0].request == Fixtures.request("m", ticketId: "ticket-m", body: matchedBody))
        #expect(results[1].request == Fixtures.request("e", body: ""))
        #expect(results[2].request == Fixtures.request("t", ticketId: nil, body: timedOutBody))
        // Tombstones keep neither the body nor the ticket id: both went out with the resolving
        // record.
        var withoutBody = Fixtures.request("m", ticketId: nil, body: matchedBody)
        withoutBody.body = []
        #expect(results[3].request == withoutBody)
        withoutBody = Fixtures.request("t", ticketId: nil, body: timedOutBody)
        withoutBody.body = []
        #expect(results[4].request == withoutBody)
        await engine.shutdown()
    }

    @Test func aLateReplyToAnOverdueRequestTimesItOutWithTheBodyThenIsLateWithout() async throws {
        let clock = ManualCorrelationClock(now: t0)
        let engine = try CorrelationEngine(configuration: Fixtures.configuration, clock: clock)
        var reader = ResultReader(engine)
        try await engine.register(Fixtures.request("a", body: "the body"))
        clock.advance(by: 1_001)
        // The timer has not fired yet; MTS answered after the deadline.
        await engine.receive(contentsOf: [.wellFormed(Fixtures.reply("a", at: t0 + 1_001, token: 1))])
        let results = await reader.drain(engine)
        #expect(results.map(\.outcome) == [.timeout, .late])
        #expect(results.map { $0.request?.body } == [Array("the body".utf8), []])
        #expect(results.map { $0.request?.correlationId } == ["a", "a"])
        #expect(
            await engine.processDueTimers(watermarksAt: clock.now()) == 0, "the timeout is not emitted twice")
        await engine.shutdown()
    }
}
