import Foundation
import TestSupport
import Testing

/// Verdicts in event time with the real executable and broker: a relay that was down, or
/// stalled, while MTS answered in time still reports `matched`; what MTS never answered, or
/// answered after the deadline, is `timeout` (and `late`); a bogus future timestamp times
/// nothing out early.
@Suite("mts-relay run, event time", .timeLimit(.minutes(5)))
struct DaemonEventTimeTests {
    /// ticket-placement times out after 3 s in these tests.
    static let timeoutMs: Int64 = 3_000

    static func harness(
        name: String, unmatchedGraceMs: Int = 1500, timeoutMs: Int64 = timeoutMs
    ) throws -> DaemonHarness {
        let harness = try DaemonHarness(name: name, unmatchedGraceMs: unmatchedGraceMs)
        try harness.replaceInConfig("ticket-placement: 120000", with: "ticket-placement: \(timeoutMs)")
        return harness
    }

    struct Mix {
        var inTime: [String] = []
        var silent: [String] = []
        var late: [String] = []
        var all: [String] { inTime + silent + late }
    }

    /// 1 000 requests answered 200 ms after they were sent, 200 never answered, and 200 answered
    /// 500 ms after their deadline: requests first, then replies, all stamped around now.
    static func publishMix(_ harness: DaemonHarness) async throws -> Mix {
        var mix = Mix()
        let now = MTSMessages.nowMilliseconds()
        var requests: [(body: String, queue: String, correlationID: String?)] = []
        var replies: [(body: String, queue: String, correlationID: String?)] = []
        var lateReplies: [(body: String, queue: String, correlationID: String?)] = []
        for index in 0..<1_400 {
            let id = "\(harness.prefix)-\(index)"
            requests.append((MTSMessages.ticketRequest(id, timestamp: now), harness.intakeQueue, id))
            switch index {
            case ..<1_000:
                mix.inTime.append(id)
                replies.append((MTSMessages.ticketReply(id, timestamp: now + 200), harness.replyQueue, id))
            case ..<1_200:
                mix.silent.append(id)
            default:
                mix.late.append(id)
                lateReplies.append(
                    (MTSMessages.ticketReply(id, timestamp: now + timeoutMs + 500), harness.replyQueue, id))
            }
        }
        try await harness.publishAll(requests + replies)
        // After the in-time replies are in the queue, not beside them: publishAll publishes
        // concurrently, and a late reply queued before an in-time one would (rightly, since
        // the relay trusts the queue's order) move the watermark past its deadline.
        try await harness.publishAll(lateReplies)
        return mix
    }

    /// Exactly: `matched` for each in-time id, `timeout` for each silent one, `timeout` then
    /// `late` for each late one, and nothing else.
    static func expectExactly(_ mix: Mix, in harness: DaemonHarness) async throws {
        let expected = mix.inTime.count + mix.silent.count + 2 * mix.late.count
        var records = try await harness.waitForResults(timeout: .seconds(60)) { $0.count >= expected }
        // A wrong extra record (an `unmatched`, a second `timeout`) would be decided within the
        // unmatched grace (1.5 s) of the last reply read: give it that long, and more, to show.
        try await letTimePass(.seconds(2), "the unmatched grace (1.5 s), in which an extra record would come")
        records = try harness.results()
        var outcomes: [String: [String]] = [:]
        for record in records {
            outcomes[record["correlationId"] as? String ?? "-", default: []].append(
                record["outcome"] as? String ?? "-")
        }
        let falseTimeouts = mix.inTime.filter { outcomes[$0] != ["matched"] }
        let wrongSilent = mix.silent.filter { outcomes[$0] != ["timeout"] }
        // The result loop delivers each record in a task of its own: their order in the file may vary.
        let wrongLate = mix.late.filter { outcomes[$0]?.sorted() != ["late", "timeout"] }
        print(
            "event time: \(records.count) records; in time not matched: \(falseTimeouts.count), silent not timeout: \(wrongSilent.count), late not timeout+late: \(wrongLate.count)"
        )
        #expect(falseTimeouts.isEmpty, "e.g. \(falseTimeouts.prefix(3).map { ($0, outcomes[$0] ?? []) })")
        #expect(wrongSilent.isEmpty, "e.g. \(wrongSilent.prefix(3).map { ($0, outcomes[$0] ?? []) })")
        #expect(wrongLate.isEmpty, "e.g. \(wrongLate.prefix(3).map { ($0, outcomes[$0] ?? []) })")
        #expect(records.count == expected, "nothing else")
        let deadlines = records.filter { $0["deadlineAt"] is String }.count
        #expect(deadlines == records.count, "every record names its request's deadline")
    }

    @Test func downtimeTwiceTheTimeoutStillMatchesWhatMTSAnsweredInTime() async throws {
        let harness = try Self.harness(name: "downtime")
        try await harness.startAndWait()
        #expect(try await harness.stop().status == 0)
        let mix = try await Self.publishMix(harness)
        try await letTimePass(.milliseconds(2 * Self.timeoutMs), "a downtime of twice the timeout")
        try await harness.startAndWait()
        try await Self.expectExactly(mix, in: harness)
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }

    @Test func aFourSecondStallStillMatchesWhatMTSAnsweredInTime() async throws {
        let harness = try Self.harness(name: "stall")
        try await harness.startAndWait()
        try harness.send(signal: SIGSTOP)
        let mix: Mix
        do {
            mix = try await Self.publishMix(harness)
            try await letTimePass(.seconds(4), "a stall longer than the 3 s timeout")
        } catch {
            try harness.send(signal: SIGCONT)
            throw error
        }
        try harness.send(signal: SIGCONT)
        try await Self.expectExactly(mix, in: harness)
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }

    @Test func aReplyStampedInTheFarFutureTimesNothingOutEarly() async throws {
        // A longer timeout here, so that a slow machine still answers well before the deadline.
        let timeoutMs: Int64 = 15_000
        let harness = try Self.harness(name: "future", unmatchedGraceMs: 500, timeoutMs: timeoutMs)
        try await harness.startAndWait()
        let now = MTSMessages.nowMilliseconds()
        let pending = "\(harness.prefix)-pending"
        let stranger = "\(harness.prefix)-stranger"
        try await harness.publish(
            MTSMessages.ticketRequest(pending, timestamp: now), to: harness.intakeQueue,
            correlationID: pending)
        try await harness.publish(
            MTSMessages.ticketReply(stranger, timestamp: Int64.max), to: harness.replyQueue,
            correlationID: stranger)
        // The stranger is unmatched once the intake has passed its read time plus the grace.
        let first = try await harness.waitForResults(timeout: .seconds(10)) { !$0.isEmpty }
        #expect(first.map { $0["outcome"] as? String } == ["unmatched"])
        #expect(first.first?["correlationId"] as? String == stranger)
        // Well before the pending request's deadline, MTS answers it in time.
        #expect(MTSMessages.nowMilliseconds() < now + timeoutMs - 1_000, "the test ran too slowly to tell")
        try await harness.publish(
            MTSMessages.ticketReply(pending, timestamp: now + 200), to: harness.replyQueue,
            correlationID: pending)
        let records = try await harness.waitForResults(timeout: .seconds(10)) { $0.count >= 2 }
        #expect(records.map { $0["outcome"] as? String } == ["unmatched", "matched"])
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }
}
