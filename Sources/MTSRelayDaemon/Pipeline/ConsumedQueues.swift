import AMQPClient
import MTSCorrelation
import MTSProtocol

/// What a ``ConsumerSession`` consumes and where the messages go: everything that differs
/// between the intake and the reply queues. The session owns the rest (connection,
/// topology, prefetch, batching, watchdog, watermarks, shutdown).
protocol ConsumedQueues: Sendable {
    associatedtype Summary: EnvelopeSummary
    /// What ``accept(_:from:watermark:session:)`` leaves for ``settle(_:)`` to finish (the
    /// intake's batches waiting for their commit); `Never` when it finishes all it is given.
    associatedtype Unsettled: Sendable = Never

    /// Which consume loop this is: its watchdog beat, its readiness, its connection's name.
    var loop: ConsumeLoop { get }
    /// The watermark its idle ticks report to the engine.
    var watermarkSource: WatermarkSource { get }
    /// The queues, consumed on one channel of one connection.
    var queues: [String] { get }
    /// The broker objects declared at the start of every session.
    var topology: RelayTopology { get }
    /// Unacknowledged messages per queue at most; also the largest batch.
    var prefetch: Int { get }
    /// How long a message may be on its way from the broker (for the idle watermark).
    var transitAllowanceMs: Int { get }

    /// Turns one delivery into a valid envelope or a typed rejection. Pure.
    func classify(_ delivery: AMQPDelivery) -> ClassifiedMessage<Summary>

    /// Hands over a batch read from `queue`, then reports `watermark` (the highest timestamp
    /// read, when known) to the engine. Returns what is left to finish once the batch commits
    /// (nil: nothing); the session hands it to ``settle(_:)`` and reads the next batch
    /// meanwhile. Throwing ends the session: its unacknowledged deliveries go back to the
    /// queue when the connection closes.
    func accept(
        _ batch: [ClassifiedDelivery<Summary>], from queue: String, watermark: Int64?,
        session: ConsumerSessionContext
    ) async throws -> Unsettled?

    /// Finishes what ``accept(_:from:watermark:session:)`` left, everything that accumulated
    /// at once, in the order accepted; runs beside the consumers, one call at a time. Throwing
    /// ends the session.
    func settle(_ unsettled: [Unsettled]) async throws
    /// What was accepted and will never be settled: the session ended (a ``settle(_:)`` threw,
    /// or the connection closed) before it came to them. Their deliveries are not acknowledged;
    /// the broker gives them back.
    func abandon(_ unsettled: [Unsettled])

    /// On graceful shutdown, after consuming stopped and before the connection closes.
    func drain() async
    /// The session's connection is gone; deliveries it carried can no longer be acknowledged.
    func sessionEnded(_ session: ConsumerSessionContext)
}

extension ConsumedQueues where Unsettled == Never {
    func settle(_ unsettled: [Never]) async throws {}
    func abandon(_ unsettled: [Never]) {}
}

extension ConsumedQueues {
    func drain() async {}
    func sessionEnded(_ session: ConsumerSessionContext) {}
}

/// One delivery with what the classifier made of it.
struct ClassifiedDelivery<Summary: EnvelopeSummary>: Sendable {
    var delivery: AMQPDelivery
    var message: ClassifiedMessage<Summary>
}

/// What a session hands to ``ConsumedQueues/accept(_:from:watermark:session:)``.
struct ConsumerSessionContext: Sendable {
    /// Where invalid messages are republished (a confirming channel of the session).
    var deadLetter: DeadLetterPublisher
    /// Tells this session's deliveries from those of an earlier connection.
    var connectionID: ObjectIdentifier
}
