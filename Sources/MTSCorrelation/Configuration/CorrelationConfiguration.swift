/// The engine's settings. Durations are milliseconds.
public struct CorrelationConfiguration: Sendable, Hashable {
    /// Response timeouts per operation.
    public var timeouts: OperationTimeouts
    /// How long tombstones of matched and timed-out requests are kept (default 1 h).
    public var retention: Int64
    /// How long, in event time, an unknown reply waits for its request: it is `unmatched` once
    /// the intake watermark passes the reply's `timestampUtc` plus this (default 2 s).
    public var unmatchedGrace: Int64
    /// How far MTS's clock may run ahead of the platform's: a reply stamped up to this long
    /// after its request's deadline is still in time, and a request times out only once the
    /// reply watermark passes its deadline plus this (default 0).
    public var clockSkewTolerance: Int64
    /// The reply queues whose watermarks decide timeouts: the reply watermark is the lowest of
    /// theirs, and unknown until each has reported one (default `["replies"]`).
    public var replyQueues: [String]
    /// The intake queues whose watermarks decide `unmatched`, likewise (default `["intake"]`).
    public var intakeQueues: [String]
    /// The most outstanding requests; past it, registration waits (default 1 000 000).
    public var capacity: Int
    /// The longest the timer loop sleeps, which bounds how late a tombstone purge can come
    /// (default 50 ms). Timeouts and `unmatched` do not wait for it: they fire in the actor turn
    /// that moves their watermark.
    public var timerResolution: Int64
    /// The most results one timer turn emits before yielding the actor (default 10 000).
    public var timerBatchLimit: Int
    /// The most results that wait in ``CorrelationEngine/results`` before the engine stops
    /// firing timers until the consumer catches up (default 10 000); see ``CorrelationResults``.
    public var resultCapacity: Int

    /// Creates a configuration; every argument has the documented default.
    public init(
        timeouts: OperationTimeouts = .mtsDefaults, retention: Int64 = 3_600_000,
        unmatchedGrace: Int64 = 2_000, clockSkewTolerance: Int64 = 0,
        replyQueues: [String] = ["replies"], intakeQueues: [String] = ["intake"],
        capacity: Int = 1_000_000, timerResolution: Int64 = 50,
        timerBatchLimit: Int = 10_000, resultCapacity: Int = 10_000
    ) {
        self.timeouts = timeouts
        self.retention = retention
        self.unmatchedGrace = unmatchedGrace
        self.clockSkewTolerance = clockSkewTolerance
        self.replyQueues = replyQueues
        self.intakeQueues = intakeQueues
        self.capacity = capacity
        self.timerResolution = timerResolution
        self.timerBatchLimit = timerBatchLimit
        self.resultCapacity = resultCapacity
    }
}

extension CorrelationConfiguration {
    /// The last instant `request` may be answered: `timestampUtc + timeout(operation)`,
    /// inclusive (`Int64.max` when that overflows). The one computation of a deadline.
    public func deadline(of request: CorrelationRequest) -> Int64 {
        let deadline = request.timestampUtc.addingReportingOverflow(timeouts.timeout(for: request.operation))
        return deadline.overflow ? .max : deadline.partialValue
    }
}
