import AMQPClient

/// How far one consumer has read its queue, in event time: the watermark it reports to the
/// engine after every batch, and on every idle tick.
///
/// - **Behind** (after a batch): the highest `timestampUtc` read from the queue so far.
/// - **Caught up** (an idle tick: nothing came for a tick, nothing is buffered, the prefetch
///   window is neither full nor freed within the transit allowance, and the broker reports no
///   ready message in the queue): the clock minus the transit allowance, which covers a message
///   still on its way from the broker. The broker's count is asked because an empty buffer
///   alone proves nothing while the broker is still streaming a backlog: deliveries come in
///   bursts, and a consumer that acks fast never fills its window.
///
/// A timestamp after the relay's clock (the envelope allows up to `Int64.max`) is not taken as
/// progress, so one bad message cannot make every deadline pass at once.
struct QueueProgress: Sendable {
    /// How often an idle consumer reports its watermark: with the transit allowance, this
    /// bounds how long after a deadline an unanswered request times out.
    static let tick: Duration = .milliseconds(50)

    /// The transit allowance in ms.
    let transitAllowance: Int64
    /// The highest timestamp read so far that was not in the future when read.
    private(set) var highestTimestamp: Int64?
    /// The consumer's flow at the last idle tick that found no ready message, if nothing came
    /// since (see ``idleWatermark(of:queue:)``).
    private var quietFlow: AMQPConsumer.Flow?

    init(transitAllowanceMs: Int) {
        transitAllowance = Int64(transitAllowanceMs)
    }

    /// Notes a message stamped `timestamp`, read at `now` (ms since the Unix epoch).
    mutating func read(timestamp: Int64, now: Int64) {
        guard timestamp <= now else { return }
        highestTimestamp = max(highestTimestamp ?? timestamp, timestamp)
    }

    /// Whether the broker has nothing more for the consumer: nothing buffered, and a window
    /// that is not full and was not freed less than the transit allowance ago (the broker may
    /// still be sending what the freeing let through).
    func isCaughtUp(_ flow: AMQPConsumer.Flow, at instant: ContinuousClock.Instant) -> Bool {
        guard flow.buffered == 0, !flow.windowFull else { return false }
        guard let freedAt = flow.windowFreedAt else { return true }
        return instant - freedAt >= .milliseconds(transitAllowance)
    }

    /// The watermark to report at `now`, or nil when nothing is known yet.
    func watermark(caughtUp: Bool, now: Int64) -> Int64? {
        guard caughtUp else { return highestTimestamp }
        return max(now - transitAllowance, highestTimestamp ?? .min)
    }

    /// The watermark to report on an idle tick of `consumer` of `queue`. The clock is read
    /// before the consumer's flow and the broker's count, so a message that arrives in between
    /// only makes the value earlier.
    ///
    /// "No ready message" also holds while the broker's last deliveries are on their way (sent,
    /// so no longer ready, and not yet handed to the consumer: librabbitmq keeps what arrives
    /// during a synchronous call such as this count until its thread reads on). On a loaded
    /// machine that outlasted the transit allowance, and the intake watermark passed requests
    /// still in flight, declaring their early replies `unmatched`. So a queue is caught up only
    /// on the second idle tick in a row that finds no ready message with the consumer's flow
    /// unchanged, before, during and since: what was on its way has been handed over by then.
    /// (A tick later: ~50 ms more before an unanswered request times out.)
    mutating func idleWatermark(of consumer: AMQPConsumer, queue: String) async throws -> Int64? {
        let now = Timestamp.nowMilliseconds()
        let flow = consumer.flow
        let quietBefore = quietFlow
        quietFlow = nil
        guard isCaughtUp(flow, at: .now) else { return highestTimestamp }
        let ready = try await consumer.channel.inspectQueue(queue).messageCount
        guard ready == 0, consumer.flow == flow else { return highestTimestamp }
        quietFlow = flow
        guard quietBefore == flow else { return highestTimestamp }
        return watermark(caughtUp: true, now: now)
    }

    /// A batch came: an earlier quiet tick says nothing any more.
    mutating func readBatch() {
        quietFlow = nil
    }
}
