import CoreMetrics
import MTSCorrelation
import MTSProtocol
import Synchronization

/// The daemon's figures, instrumented once through swift-metrics: every part records here,
/// and the handles go to the factory the daemon bootstrapped (``LogLineMetrics`` for the log
/// line, multiplexed with Prometheus's when `metrics.prometheus.listen` is set).
///
/// `MetricsReporter` reads the log line's backend for its counters and quantiles; what is
/// state rather than a metric (the sinks failing right now, intake messages unacknowledged)
/// is kept here.
final class RelayMetrics: Sendable {
    struct Counters: Sendable {
        var consumed: [String: Int] = [:]
        var results: [String: Int] = Dictionary(
            uniqueKeysWithValues: ResultRecord.Outcome.allCases.map { ($0.rawValue, 0) })
        var unrouted = 0
        var sinkAccepted: [String: Int] = [:]
        var sinkRetried: [String: Int] = [:]
        var sinkFailed: [String: Int] = [:]
        var sinkDropped: [String: Int] = [:]
        /// Each sink's records not yet delivered (every log's together), and the age of the
        /// oldest of them in milliseconds (0 while caught up).
        var sinkBacklog: [String: (records: Int64, oldestAgeMs: Int64)] = [:]
        var reconnects = 0
        /// Batches handed on by each stage since start, and the items in them, by stage.
        var batches: [String: Int] = [:]
        var batchItems: [String: Int] = [:]
        /// Sinks whose last attempt failed and is being retried.
        var failingSinks: Set<String> = []
    }

    typealias Quantiles = MetricsQuantiles

    /// Where the pipeline hands work on in batches (the store's transactions are counted by
    /// the store itself: ``recordStoreCommits(_:rows:)``).
    enum BatchStage: String, CaseIterable, Sendable {
        /// The deliveries a consumer read at once (from any queue).
        case consumed
        /// The results the result loop took from the engine at once.
        case results
        /// The records a sink was given at once.
        case sink
    }

    struct Interval: Sendable {
        var counters: Counters
        var replyLatency: Quantiles
        var relayLatency: Quantiles
        var wait: Quantiles
    }

    enum Label {
        static let consumed = "mts_relay_consumed_total"
        static let results = "mts_relay_results_total"
        static let unrouted = "mts_relay_unrouted_total"
        static let sinkAccepted = "mts_relay_sink_accepted_total"
        static let sinkRetried = "mts_relay_sink_retried_total"
        static let sinkFailed = "mts_relay_sink_failed_total"
        static let sinkDropped = "mts_relay_sink_dropped_total"
        static let storeCommits = "mts_relay_store_commits_total"
        static let storeRows = "mts_relay_store_rows_total"
        static let reconnects = "mts_relay_reconnects_total"
        /// Batches a stage handed on, and the items in them (the mean batch is their ratio).
        static let batches = "mts_relay_batches_total"
        static let batchItems = "mts_relay_batch_items_total"
        /// Messages dead-lettered, by why: `invalid` (refused at classification),
        /// `store_refused` (the database refused its values), `gave_up` (too many attempts).
        static let deadLettered = "mts_relay_dead_lettered_total"
        /// Request to reply, from the messages' `timestampUtc`.
        static let replyLatency = "mts_relay_reply_latency"
        /// Delivery to its record committed and the reply acknowledged, less the wait.
        static let relayLatency = "mts_relay_relay_latency"
        /// How long replies waited for their request or the intake watermark.
        static let wait = "mts_relay_wait"
    }

    /// Where the log line reads its figures.
    let logLine: LogLineMetrics
    /// Where the handles are made: the log line's backend, or it multiplexed with others.
    let factory: any MetricsFactory
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    /// One counter per outcome, made up front: `recordResult` runs once per record, and takes
    /// no lock and builds no key.
    private let resultCounters: [ResultRecord.Outcome: CoreMetrics.Counter]
    private let replyLatencyTimer: CoreMetrics.Timer
    private let relayLatencyTimer: CoreMetrics.Timer
    private let waitTimer: CoreMetrics.Timer
    /// Per stage, made up front: recorded once per batch without building a key.
    private let batchCounters: [BatchStage: (batches: CoreMetrics.Counter, items: CoreMetrics.Counter)]
    private let status = Mutex<(failingSinks: Set<String>, unackedIntake: Int)>(([], 0))
    /// Each sink's backlog in each log, by `log|sink`.
    private let sinkProgress = Mutex<[String: (sink: String, records: Int64, oldestAgeMs: Int64)]>([:])

    /// - Parameters:
    ///   - logLine: the backend the log line reads.
    ///   - factory: where the handles are made; the log line's backend when nil.
    init(logLine: LogLineMetrics = LogLineMetrics(), factory: (any MetricsFactory)? = nil) {
        self.logLine = logLine
        let factory = factory ?? logLine
        self.factory = factory
        replyLatencyTimer = CoreMetrics.Timer(label: Label.replyLatency, factory: factory)
        relayLatencyTimer = CoreMetrics.Timer(label: Label.relayLatency, factory: factory)
        waitTimer = CoreMetrics.Timer(label: Label.wait, factory: factory)
        resultCounters = Dictionary(
            uniqueKeysWithValues: ResultRecord.Outcome.allCases.map { outcome in
                (
                    outcome,
                    CoreMetrics.Counter(
                        label: Label.results, dimensions: [("outcome", outcome.rawValue)], factory: factory)
                )
            })
        batchCounters = Dictionary(
            uniqueKeysWithValues: BatchStage.allCases.map { stage in
                let dimensions = [("stage", stage.rawValue)]
                return (
                    stage,
                    (
                        CoreMetrics.Counter(label: Label.batches, dimensions: dimensions, factory: factory),
                        CoreMetrics.Counter(label: Label.batchItems, dimensions: dimensions, factory: factory)
                    )
                )
            })
        _ = counter(Label.unrouted)
        _ = counter(Label.reconnects)
        _ = counter(Label.storeCommits)
        _ = counter(Label.storeRows)
        for reason in DeadLetterReason.allCases {
            _ = counter(Label.deadLettered, ("reason", reason.rawValue))
        }
    }

    /// The counter of `label` (with its one dimension), made once and kept.
    private func counter(_ label: String, _ dimension: (String, String)? = nil) -> CoreMetrics.Counter {
        let key = dimension.map { "\(label)|\($0.1)" } ?? label
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(
                label: label, dimensions: dimension.map { [$0] } ?? [], factory: factory)
            counters[key] = counter
            return counter
        }
    }

    /// Lists the queues and sinks from the start, so that every metrics line names them, at 0
    /// until something happens.
    func preset(queues: [String], sinks: [String]) {
        for queue in queues { _ = counter(Label.consumed, ("queue", queue)) }
        for sink in sinks {
            _ = counter(Label.sinkAccepted, ("sink", sink))
            _ = counter(Label.sinkRetried, ("sink", sink))
            _ = counter(Label.sinkFailed, ("sink", sink))
            _ = counter(Label.sinkDropped, ("sink", sink))
        }
    }

    func recordConsumed(queue: String, count: Int = 1) {
        counter(Label.consumed, ("queue", queue)).increment(by: count)
    }
    func recordResult(_ outcome: ResultRecord.Outcome) {
        resultCounters[outcome]?.increment()
    }
    func recordUnrouted() { counter(Label.unrouted).increment() }
    func recordAccepted(sink: String, count: Int = 1) {
        counter(Label.sinkAccepted, ("sink", sink)).increment(by: count)
        status.withLock { _ = $0.failingSinks.remove(sink) }
    }
    func recordRetry(sink: String) {
        counter(Label.sinkRetried, ("sink", sink)).increment()
        status.withLock { _ = $0.failingSinks.insert(sink) }
    }
    /// One batch of `size` items handed on by `stage`.
    func recordBatch(_ stage: BatchStage, size: Int) {
        guard let counters = batchCounters[stage] else { return }
        counters.batches.increment()
        counters.items.increment(by: size)
    }
    /// Transactions the store committed, and the rows (effects and log entries) in them.
    func recordStoreCommits(_ commits: Int, rows: Int) {
        guard commits > 0 else { return }
        counter(Label.storeCommits).increment(by: commits)
        counter(Label.storeRows).increment(by: rows)
    }
    /// Records a sink that is not required skipped, past its `maxBacklog`.
    func recordDropped(sink: String, count: Int) {
        counter(Label.sinkDropped, ("sink", sink)).increment(by: count)
    }
    /// Where a sink is in one log: the records it has not had yet, and the oldest one's age.
    func setSinkProgress(log: String, sink: String, backlog: Int64, oldestUndeliveredAgeMs: Int64) {
        sinkProgress.withLock { $0["\(log)|\(sink)"] = (sink, backlog, oldestUndeliveredAgeMs) }
    }
    func recordFailed(sink: String, count: Int = 1) {
        counter(Label.sinkFailed, ("sink", sink)).increment(by: count)
    }
    func recordReconnect() { counter(Label.reconnects).increment() }

    /// Why a message was dead-lettered, the dimension of ``Label/deadLettered``.
    enum DeadLetterReason: String, CaseIterable, Sendable {
        case invalid
        case storeRefused = "store_refused"
        case gaveUp = "gave_up"

        /// Why the engine refused a message: the store refused its values, or it is invalid.
        init(_ error: CorrelationError) {
            if case .storeRefused = error { self = .storeRefused } else { self = .invalid }
        }

        /// Why the classifier (or the attempt count) refused a message.
        init<Summary>(_ rejection: MessageRejection<Summary>) {
            if case .gaveUp = rejection.reason { self = .gaveUp } else { self = .invalid }
        }
    }

    func recordDeadLettered(_ reason: DeadLetterReason) {
        counter(Label.deadLettered, ("reason", reason.rawValue)).increment()
    }

    /// Intake messages received and not yet acknowledged (or given up).
    func intakeInFlight(_ delta: Int) { status.withLock { $0.unackedIntake += delta } }
    var unackedIntake: Int { status.withLock { $0.unackedIntake } }

    /// Request to reply, from the messages' `timestampUtc` (clock skew below zero counts as 0).
    func recordReplyLatency(milliseconds: Int64) {
        replyLatencyTimer.recordMilliseconds(max(milliseconds, 0))
    }

    /// How long a reply waited in the engine for its request or for the intake watermark.
    func recordWait(milliseconds: Int64) {
        waitTimer.recordMilliseconds(max(milliseconds, 0))
    }

    /// From a delivery's arrival to its record committed (and the reply acknowledged), less its
    /// wait.
    func recordRelayLatency(_ duration: Duration) {
        relayLatencyTimer.recordNanoseconds(max(duration.nanoseconds, 0))
    }

    /// The counters, and the latency quantiles since the previous call (the histograms are
    /// reset).
    func takeInterval() -> Interval {
        var counters = Counters()
        counters.consumed = logLine.counters(Label.consumed)
        counters.results.merge(logLine.counters(Label.results)) { $1 }
        counters.unrouted = logLine.counter(Label.unrouted)
        counters.sinkAccepted = logLine.counters(Label.sinkAccepted)
        counters.sinkRetried = logLine.counters(Label.sinkRetried)
        counters.sinkFailed = logLine.counters(Label.sinkFailed)
        counters.sinkDropped = logLine.counters(Label.sinkDropped)
        for (_, progress) in sinkProgress.withLock({ $0 }) {
            let sum = counters.sinkBacklog[progress.sink] ?? (0, 0)
            counters.sinkBacklog[progress.sink] = (
                sum.records + progress.records, max(sum.oldestAgeMs, progress.oldestAgeMs)
            )
        }
        counters.reconnects = logLine.counter(Label.reconnects)
        counters.batches = logLine.counters(Label.batches)
        counters.batchItems = logLine.counters(Label.batchItems)
        counters.failingSinks = status.withLock { $0.failingSinks }
        return Interval(
            counters: counters, replyLatency: logLine.takeQuantiles(Label.replyLatency),
            relayLatency: logLine.takeQuantiles(Label.relayLatency), wait: logLine.takeQuantiles(Label.wait))
    }
}
