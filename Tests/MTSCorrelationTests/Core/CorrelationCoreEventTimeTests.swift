import MTSCorrelation
import Testing

/// Verdicts in event time: the messages' own timestamps and the queues' watermarks decide,
/// never the moment the relay reads a reply. Driven through the pure core with explicit times;
/// ticket-placement times out after 1 s (deadline t0 + 1 000).
@Suite struct CorrelationCoreEventTimeTests {
    let t0 = Fixtures.epoch

    func core(
        replyQueues: [String] = ["replies"], clockSkewTolerance: Int64 = 0
    ) -> CorrelationCore {
        var configuration = Fixtures.configuration
        configuration.replyQueues = replyQueues
        configuration.clockSkewTolerance = clockSkewTolerance
        return CorrelationCore(configuration: configuration, now: t0)
    }

    /// The relay was down for 6.5 s while MTS answered in 200 ms; after the restart the replies
    /// are read long after their deadline and still match; the unanswered request times out
    /// only once the reply queue has caught up.
    @Test func downtime() throws {
        var rows: [PersistedRequest] = []
        var before = core()
        for id in ["answered", "silent"] {
            let step = try before.register(Fixtures.request(id, at: t0), now: t0)
            for case .insert(let row) in step.effects { rows.append(row) }
        }
        let restart = t0 + 6_500
        var (after, recovered) = try CorrelationCore.recovering(
            rows, configuration: Fixtures.configuration, now: restart)
        #expect(recovered.results.isEmpty)
        #expect(after.nextWake == nil, "nothing is due before a watermark is known")
        #expect(after.advance(to: restart + 10_000).results.isEmpty, "the clock alone times nothing out")

        let matched = after.receive(Fixtures.reply("answered", at: t0 + 200), now: restart + 50)
        #expect(matched.outcomes == [.matched])
        #expect(matched.results.first?.deadline == t0 + 1_000)
        // Behind: the highest timestamp read (t0 + 200) is before the silent request's deadline.
        after.advanceWatermark(.replies, queue: "replies", to: t0 + 200, now: restart + 50)
        #expect(after.advance(to: restart + 50).results.isEmpty)
        // Caught up: the watermark jumps to the clock (less the transit allowance).
        after.advanceWatermark(.replies, queue: "replies", to: restart + 100 - 100, now: restart + 100)
        let timedOut = after.advance(to: restart + 100)
        #expect(timedOut.outcomes == [.timeout])
        #expect(timedOut.results.first?.correlationId == "silent")
    }

    /// The relay stalled for 4 s (no reads, no watermark reports) while in-time replies queued.
    @Test func stall() throws {
        var core = core()
        core.advanceWatermark(.replies, queue: "replies", to: t0, now: t0)
        _ = try core.register(Fixtures.request("a", at: t0), now: t0)
        _ = try core.register(Fixtures.request("b", at: t0), now: t0)
        // The clock ran on; the watermark did not, because nobody reported one.
        #expect(core.advance(to: t0 + 4_000).results.isEmpty)
        #expect(core.receive(Fixtures.reply("a", at: t0 + 150), now: t0 + 4_000).outcomes == [.matched])
        core.advanceWatermark(.replies, queue: "replies", to: t0 + 150, now: t0 + 4_000)
        #expect(core.advance(to: t0 + 4_000).results.isEmpty, "behind: the watermark is at t0 + 150")
        core.advanceWatermark(.replies, queue: "replies", to: t0 + 3_950, now: t0 + 4_050)
        #expect(core.advance(to: t0 + 4_050).outcomes == [.timeout])
    }

    /// The reply watermark is the lowest queue's: an idle queue (caught up) never holds the
    /// others back, and a queue behind holds every timeout back.
    @Test func oneQueueBehindWhileAnotherIsIdle() throws {
        var core = core(replyQueues: ["tickets", "cancels"])
        _ = try core.register(Fixtures.request("a", at: t0), now: t0)
        core.advanceWatermark(.replies, queue: "cancels", to: t0 + 5_000, now: t0 + 5_100)
        #expect(core.replyWatermarks.combined == nil, "tickets has not reported yet")
        #expect(core.advance(to: t0 + 5_100).results.isEmpty)
        core.advanceWatermark(.replies, queue: "tickets", to: t0 + 600, now: t0 + 5_100)
        #expect(core.replyWatermarks.combined == t0 + 600)
        #expect(core.advance(to: t0 + 5_100).results.isEmpty, "tickets is behind, before the deadline")
        core.advanceWatermark(.replies, queue: "tickets", to: t0 + 1_001, now: t0 + 5_200)
        #expect(core.advance(to: t0 + 5_200).outcomes == [.timeout])
    }

    /// A queue whose connection is down keeps its last watermark, holding timeouts back until
    /// it is consumed again.
    @Test func disconnectedQueueHoldsTimeoutsBack() throws {
        var core = core(replyQueues: ["tickets", "cancels"])
        _ = try core.register(Fixtures.request("a", at: t0), now: t0)
        core.advanceWatermark(.replies, queue: "tickets", to: t0 + 500, now: t0 + 600)
        // tickets' connection drops; cancels goes on reporting for a minute.
        for second in 1...60 {
            let now = t0 + Int64(second) * 1_000
            core.advanceWatermark(.replies, queue: "cancels", to: now - 100, now: now)
            #expect(core.advance(to: now).results.isEmpty)
        }
        #expect(core.replyWatermarks.lags(now: t0 + 60_000).first { $0.queue == "tickets" }?.lag == 59_500)
        // Reconnected: the in-time reply that waited in the broker is read first, and matches.
        #expect(core.receive(Fixtures.reply("a", at: t0 + 900), now: t0 + 60_100).outcomes == [.matched])
        core.advanceWatermark(.replies, queue: "tickets", to: t0 + 60_000, now: t0 + 60_100)
        #expect(core.advance(to: t0 + 60_100).results.isEmpty)
    }

    /// A reply stamped Int64.max must not move the watermark past the relay's clock, nor be
    /// held forever when its id is unknown.
    @Test func futureTimestamp() throws {
        var core = core()
        _ = try core.register(Fixtures.request("a", at: t0), now: t0)
        #expect(core.receive(Fixtures.reply("x", at: .max), now: t0 + 10).results.isEmpty, "held")
        core.advanceWatermark(.replies, queue: "replies", to: .max, now: t0 + 10)
        #expect(core.replyWatermarks.combined == t0 + 10, "clamped to the relay's clock")
        #expect(core.advance(to: t0 + 10).results.isEmpty, "nothing times out early")
        // The held reply counts from when it was read: unmatched once intake passes t0+10+grace.
        core.advanceWatermark(.intake, queue: "intake", to: t0 + 210, now: t0 + 300)
        #expect(core.advance(to: t0 + 300).results.isEmpty)
        core.advanceWatermark(.intake, queue: "intake", to: t0 + 211, now: t0 + 300)
        #expect(core.advance(to: t0 + 300).outcomes == [.unmatched])
        // A future-stamped answer to a known request is after its deadline: late.
        #expect(core.receive(Fixtures.reply("a", at: .max), now: t0 + 400).outcomes == [.timeout, .late])
    }

    /// The platform's and MTS's clocks disagree: a reply stamped before its request still
    /// answers it in time.
    @Test func replyStampedBeforeItsRequest() throws {
        var core = core()
        _ = try core.register(Fixtures.request("a", at: t0), now: t0)
        #expect(core.receive(Fixtures.reply("a", at: t0 - 300), now: t0 + 5).outcomes == [.matched])
    }

    @Test func skewTolerance() throws {
        var core = core(clockSkewTolerance: 50)
        _ = try core.register(Fixtures.request("a", at: t0), now: t0)
        _ = try core.register(Fixtures.request("b", at: t0), now: t0)
        _ = try core.register(Fixtures.request("c", at: t0), now: t0)
        #expect(core.receive(Fixtures.reply("a", at: t0 + 1_050), now: t0 + 1_100).outcomes == [.matched])
        #expect(
            core.receive(Fixtures.reply("b", at: t0 + 1_051), now: t0 + 1_100).outcomes == [.timeout, .late])
        core.advanceWatermark(.replies, queue: "replies", to: t0 + 1_050, now: t0 + 2_000)
        #expect(core.advance(to: t0 + 2_000).results.isEmpty, "c may still be answered in time")
        core.advanceWatermark(.replies, queue: "replies", to: t0 + 1_051, now: t0 + 2_000)
        #expect(core.advance(to: t0 + 2_000).outcomes == [.timeout])
    }

    /// Unknown replies wait for the intake watermark, not the clock: while the intake is behind
    /// (a backlog of requests), a reply's request may still be in it.
    @Test func unmatchedWaitsForTheIntakeWatermark() throws {
        var core = core()
        _ = core.receive(Fixtures.reply("x", at: t0), now: t0)
        #expect(core.advance(to: t0 + 60_000).results.isEmpty, "intake watermark unknown")
        core.advanceWatermark(.intake, queue: "intake", to: t0 + 200, now: t0 + 60_000)
        #expect(core.advance(to: t0 + 60_000).results.isEmpty, "grace is inclusive")
        // Its request shows up in the intake backlog: matched, no unmatched later.
        #expect(
            try core.register(Fixtures.request("x", at: t0 - 100), now: t0 + 60_000).outcomes == [.matched])
        _ = core.receive(Fixtures.reply("y", at: t0 + 100), now: t0 + 60_000)
        core.advanceWatermark(.intake, queue: "intake", to: t0 + 301, now: t0 + 60_000)
        #expect(core.advance(to: t0 + 60_000).outcomes == [.unmatched])
    }

    /// A request registered after the reply watermark passed its deadline: its held in-time
    /// reply matches; without one it times out at once.
    @Test func requestRegisteredBehindTheReplyWatermark() throws {
        var core = core()
        _ = core.receive(Fixtures.reply("a", at: t0 + 300), now: t0 + 300)
        core.advanceWatermark(.replies, queue: "replies", to: t0 + 5_000, now: t0 + 5_100)
        #expect(try core.register(Fixtures.request("a", at: t0), now: t0 + 5_100).outcomes == [.matched])
        let late = try core.register(Fixtures.request("b", at: t0), now: t0 + 5_100)
        #expect(late.outcomes == [], "left to advance, which the engine bounds")
        #expect(core.advance(to: t0 + 5_100).outcomes == [.timeout])
    }

    @Test func watermarksNeverGoBack() {
        var tracker = WatermarkTracker(queues: ["a", "b"])
        var moved = tracker.advance(queue: "a", to: t0 + 10, now: t0 + 100)
        #expect(!moved, "b still unknown")
        moved = tracker.advance(queue: "b", to: t0 + 20, now: t0 + 100)
        #expect(moved)
        #expect(tracker.combined == t0 + 10)
        moved = tracker.advance(queue: "a", to: t0 + 5, now: t0 + 100)
        #expect(!moved)
        #expect(tracker.combined == t0 + 10)
        moved = tracker.advance(queue: "a", to: t0 + 30, now: t0 + 100)
        #expect(moved)
        #expect(tracker.combined == t0 + 20)
    }
}
