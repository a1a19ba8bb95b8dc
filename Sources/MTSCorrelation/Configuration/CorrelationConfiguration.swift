/// The engine's settings. Durations are milliseconds.
public struct CorrelationConfiguration: Sendable, Hashable {
    /// Response timeouts per operation.
    public var timeouts: OperationTimeouts
    /// How long tombstones of matched and timed-out requests are kept (default 1 h).
    public var retention: Int64
    /// How long an unknown reply waits for its request, counted from
    /// max(arrival, the moment intake caught up) (default 2 s).
    public var unmatchedGrace: Int64
    /// After a restart, recovered requests whose deadline falls before `start + startupGrace`
    /// do not time out before then, or before the daemon reports the reply backlog drained,
    /// whichever comes first (default 30 s).
    public var startupGrace: Int64
    /// The most outstanding requests; past it, registration waits (default 1 000 000).
    public var capacity: Int
    /// The longest the timer loop sleeps, which bounds how late a timer can fire after a
    /// deadline registered while it sleeps (default 50 ms).
    public var timerResolution: Int64
    /// The most results one timer turn emits before yielding the actor (default 10 000).
    public var timerBatchLimit: Int
    /// The most results that wait in ``CorrelationEngine/results`` before the timer loop stops
    /// firing timers until the consumer catches up (default 10 000); see ``CorrelationResults``.
    public var resultCapacity: Int

    /// Creates a configuration; every argument has the documented default.
    public init(
        timeouts: OperationTimeouts = .mtsDefaults, retention: Int64 = 3_600_000,
        unmatchedGrace: Int64 = 2_000,
        startupGrace: Int64 = 30_000, capacity: Int = 1_000_000, timerResolution: Int64 = 50,
        timerBatchLimit: Int = 10_000, resultCapacity: Int = 10_000
    ) {
        self.timeouts = timeouts
        self.retention = retention
        self.unmatchedGrace = unmatchedGrace
        self.startupGrace = startupGrace
        self.capacity = capacity
        self.timerResolution = timerResolution
        self.timerBatchLimit = timerBatchLimit
        self.resultCapacity = resultCapacity
    }
}
