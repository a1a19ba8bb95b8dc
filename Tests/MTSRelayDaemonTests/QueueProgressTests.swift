import AMQPClient
import Testing

@testable import MTSRelayDaemon

/// The watermark a consumer reports, decided from its flow without a broker.
@Suite struct QueueProgressTests {
    let now: Int64 = 1_767_225_600_000
    var progress = QueueProgress(transitAllowanceMs: 100)

    @Test mutating func behindReportsTheHighestTimestampReadAndIgnoresTheFuture() {
        #expect(progress.watermark(caughtUp: false, now: now) == nil, "nothing read yet")
        progress.read(timestamp: now - 500, now: now)
        progress.read(timestamp: now - 900, now: now)
        progress.read(timestamp: .max, now: now)
        progress.read(timestamp: now + 1, now: now)
        #expect(progress.highestTimestamp == now - 500)
        #expect(progress.watermark(caughtUp: false, now: now) == now - 500)
    }

    @Test mutating func caughtUpReportsTheClockLessTheTransitAllowance() {
        #expect(progress.watermark(caughtUp: true, now: now) == now - 100)
        progress.read(timestamp: now - 20, now: now)
        #expect(progress.watermark(caughtUp: true, now: now) == now - 20, "never below what was read")
    }

    @Test func aFullOrJustFreedWindowOrABufferedDeliveryIsNotCaughtUp() {
        let instant = ContinuousClock.now
        func flow(buffered: Int = 0, full: Bool = false, freedAgo: Duration? = nil) -> AMQPConsumer.Flow {
            AMQPConsumer.Flow(
                buffered: buffered, unsettled: 0, windowFull: full,
                windowFreedAt: freedAgo.map { instant - $0 })
        }
        #expect(progress.isCaughtUp(flow(), at: instant))
        #expect(!progress.isCaughtUp(flow(buffered: 1), at: instant))
        #expect(!progress.isCaughtUp(flow(full: true), at: instant))
        #expect(
            !progress.isCaughtUp(flow(freedAgo: .milliseconds(99)), at: instant),
            "the broker may still be sending")
        #expect(progress.isCaughtUp(flow(freedAgo: .milliseconds(100)), at: instant))
    }

    @Test func theLagAlarmRaisesOnceAndClearsOnce() {
        var alarm = LagAlarm(threshold: 10_000)
        #expect(alarm.update("replies:q", lagMs: 9_000) == nil)
        #expect(alarm.update("replies:q", lagMs: 10_001) == .raised)
        #expect(alarm.update("replies:q", lagMs: 20_000) == nil, "once")
        #expect(alarm.update("intake:i", lagMs: 50) == nil)
        #expect(alarm.update("replies:q", lagMs: 100) == .cleared)
        #expect(alarm.update("replies:q", lagMs: 100) == nil)
    }
}
