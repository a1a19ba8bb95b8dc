import CoreMetrics
import Logging
import MTSCorrelation
import ServiceLifecycle

/// Every `metrics.intervalSeconds`, logs one `metrics` line with the counters since start,
/// the gauges now and the latency quantiles since the previous line, read from the log line's
/// swift-metrics backend (``LogLineMetrics``); it also sets the gauges in swift-metrics, for
/// Prometheus. A last line is logged at shutdown.
struct MetricsReporter: Service {
    let metrics: RelayMetrics
    /// The role, the epoch, and the current term's engine and deliveries (none while standing by).
    let role: RelayRole
    let interval: Duration
    let logger: Logger
    /// The active upstreams' figures (jackpot), one nested object each in the line.
    var upstreams: [UpstreamMetrics] = []
    /// Told the figures of every line (systemd STATUS=, for one).
    var onLine: @Sendable (MetricsLine) -> Void = { _ in }

    func run() async throws {
        var exporter = GaugeExporter(factory: metrics.factory)
        let clock = ContinuousClock()
        var last = clock.now
        // The gauges from the first scrape on, not only after the first interval.
        var previous: MetricsLine? = await sample(elapsed: .zero, previous: nil)
        if let previous { exporter.export(previous) }
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            let now = clock.now
            let line = await sample(elapsed: now - last, previous: previous)
            last = now
            log(line)
            exporter.export(line)
            onLine(line)
            previous = line
        }
        // One more line, so that the figures of the last interval are not lost.
        let line = await sample(elapsed: clock.now - last, previous: previous)
        log(line)
    }

    func sample(elapsed: Duration, previous: MetricsLine?) async -> MetricsLine {
        let interval = metrics.takeInterval()
        let term = role.snapshot
        // Standing by: no table, nothing held, no watermark.
        let engine = term.engine
        let pending = await engine?.outstandingCount ?? 0
        let held = await engine?.heldReplyCount ?? 0
        let oldest = await engine?.oldestOutstandingTimestamp
        let marks = await engine?.watermarks ?? []
        let now = Timestamp.nowMilliseconds()
        let matchedBefore = previous?.counters.results["matched"] ?? 0
        let seconds = max(Double(elapsed.nanoseconds) / 1e9, 0.001)
        // The store's figures are the term's since it opened: a smaller count is a new term.
        let statistics = await engine?.takeStoreStatistics() ?? CorrelationStoreStatistics()
        var before = previous?.storeTotals ?? CorrelationStoreStatistics()
        if statistics.transactions < before.transactions || statistics.effects < before.effects
            || statistics.totalNanoseconds < before.totalNanoseconds
        {
            before = CorrelationStoreStatistics()
        }
        let commits = statistics.transactions - before.transactions
        let rows = statistics.effects - before.effects
        let nanoseconds = statistics.totalNanoseconds - before.totalNanoseconds
        if previous != nil { metrics.recordStoreCommits(commits, rows: rows) }
        return MetricsLine(
            role: term.role, epoch: term.epoch,
            counters: interval.counters, pending: pending, heldReplies: held,
            queuedResults: engine?.results.count ?? 0,
            oldestPendingAgeMs: oldest.map { max(now - $0, 0) } ?? 0,
            watermarkLags: marks.map {
                WatermarkLag(source: $0.source, queue: $0.queue, lagMs: $0.watermark.map { now - $0 })
            },
            unacked: (term.registry?.pendingCount ?? 0) + metrics.unackedIntake,
            matchedPerSecond: Double((interval.counters.results["matched"] ?? 0) - matchedBefore) / seconds,
            replyLatency: interval.replyLatency, relayLatency: interval.relayLatency, wait: interval.wait,
            upstreams: upstreams.map { upstream in
                let (counters, latency) = upstream.takeInterval()
                return UpstreamLine(name: upstream.name, counters: counters, latency: latency)
            },
            storeTotals: statistics,
            commitsPerSecond: previous == nil ? 0 : Double(commits) / seconds,
            rowsPerCommit: commits > 0 ? Double(rows) / Double(commits) : 0,
            meanCommitMs: commits > 0 ? Double(nanoseconds) / Double(commits) / 1e6 : 0,
            longestCommitMs: Double(statistics.longestRecentTransactionNanoseconds) / 1e6,
            meanBatch: Dictionary(
                uniqueKeysWithValues: RelayMetrics.BatchStage.allCases.map { stage in
                    let key = stage.rawValue
                    let batches =
                        interval.counters.batches[key, default: 0] - (previous?.counters.batches[key] ?? 0)
                    let items =
                        interval.counters.batchItems[key, default: 0]
                        - (previous?.counters.batchItems[key] ?? 0)
                    return (key, batches > 0 ? Double(items) / Double(batches) : 0)
                }))
    }

    private func log(_ line: MetricsLine) {
        logger.info("metrics", metadata: line.metadata)
    }
}

/// How far one queue's watermark trails the clock; nil while the queue has none yet.
struct WatermarkLag: Sendable, Equatable {
    var source: WatermarkSource
    var queue: String
    var lagMs: Int64?
}

/// The figures of one metrics line.
struct MetricsLine: Sendable {
    /// `active`, or `standby` (a member of a group waiting for the lease).
    var role: RelayRole.Role = .active
    /// The lease's epoch while active in a group; nil without a lease.
    var epoch: Int64?
    var counters: RelayMetrics.Counters
    var pending: Int
    var heldReplies: Int
    /// Results decided and waiting for the result loop (bounded by `engine.resultQueue` for
    /// those the timer loop makes).
    var queuedResults: Int
    var oldestPendingAgeMs: Int64
    /// How far each queue's watermark trails the clock.
    var watermarkLags: [WatermarkLag] = []
    var unacked: Int
    var matchedPerSecond: Double
    var replyLatency: RelayMetrics.Quantiles
    /// Arrival to the record committed, less any wait for a request or a watermark.
    var relayLatency: RelayMetrics.Quantiles
    /// How long replies waited for their request or for the intake watermark.
    var wait = RelayMetrics.Quantiles(count: 0, p50: 0, p90: 0, p99: 0, max: 0)
    /// The active upstreams' figures.
    var upstreams: [UpstreamLine] = []
    /// The current term's store figures since it opened (transactions, rows, time in them).
    var storeTotals = CorrelationStoreStatistics()
    /// Store transactions a second in the interval, and their mean size in rows.
    var commitsPerSecond: Double = 0
    var rowsPerCommit: Double = 0
    /// The interval's transactions' mean and longest time, write to commit (the disk's fsync
    /// or PostgreSQL's round trips).
    var meanCommitMs: Double = 0
    var longestCommitMs: Double = 0
    /// The mean batch of each ``RelayMetrics/BatchStage`` in the interval, by its name.
    var meanBatch: [String: Double] = [:]

    /// The largest lag per source (`replies`, `intake`), for the systemd status; nil while one
    /// of the source's queues has no watermark yet.
    var lagsBySource: [(name: String, lagMs: Int64?)] {
        WatermarkSource.allCases.compactMap { source in
            let lags = watermarkLags.filter { $0.source == source }
            guard !lags.isEmpty else { return nil }
            let known = lags.compactMap(\.lagMs)
            return (source.rawValue, known.count == lags.count ? known.max() : nil)
        }
    }

    /// As log metadata: nested objects in JSON, dotted keys in logfmt
    /// (`results.matched=12 sinks.results.accepted=40 relayLatencyMs.p99=1.25`).
    var metadata: Logger.Metadata {
        func numbers(_ values: [String: Int]) -> Logger.MetadataValue {
            .dictionary(values.mapValues { .stringConvertible($0) })
        }
        func quantiles(_ q: RelayMetrics.Quantiles) -> Logger.MetadataValue {
            .dictionary([
                "count": .stringConvertible(q.count), "p50": .stringConvertible(q.p50),
                "p90": .stringConvertible(q.p90), "p99": .stringConvertible(q.p99),
                "max": .stringConvertible(q.max),
            ])
        }
        var sinks: [String: Logger.MetadataValue] = [:]
        let names = Set(counters.sinkAccepted.keys).union(counters.sinkRetried.keys).union(
            counters.sinkFailed.keys)
        for name in names {
            sinks[name] = .dictionary([
                "accepted": .stringConvertible(counters.sinkAccepted[name] ?? 0),
                "retried": .stringConvertible(counters.sinkRetried[name] ?? 0),
                "failed": .stringConvertible(counters.sinkFailed[name] ?? 0),
                "dropped": .stringConvertible(counters.sinkDropped[name] ?? 0),
                "backlog": .stringConvertible(counters.sinkBacklog[name]?.records ?? 0),
                "oldestUndeliveredAgeMs": .stringConvertible(counters.sinkBacklog[name]?.oldestAgeMs ?? 0),
            ])
        }
        var metadata: Logger.Metadata = [
            "role": .string(role.rawValue),
            "consumed": numbers(counters.consumed),
            "results": numbers(counters.results),
            "invalid": .stringConvertible(counters.results["invalid"] ?? 0),
            "unrouted": .stringConvertible(counters.unrouted),
            "sinks": .dictionary(sinks),
            "reconnects": .stringConvertible(counters.reconnects),
            "pending": .stringConvertible(pending),
            "heldReplies": .stringConvertible(heldReplies),
            "queuedResults": .stringConvertible(queuedResults),
            "oldestPendingAgeMs": .stringConvertible(oldestPendingAgeMs),
            "watermarkLagMs": .dictionary(
                Dictionary(grouping: watermarkLags, by: \.source.rawValue).mapValues { lags in
                    .dictionary(
                        Dictionary(
                            lags.map { ($0.queue, .string($0.lagMs.map(String.init) ?? "unknown")) },
                            uniquingKeysWith: { first, _ in first }))
                }),
            "unacked": .stringConvertible(unacked),
            "matchedPerSecond": .stringConvertible((matchedPerSecond * 10).rounded() / 10),
            "replyLatencyMs": quantiles(replyLatency),
            "relayLatencyMs": quantiles(relayLatency),
            "waitMs": quantiles(wait),
            "store": .dictionary([
                "commitsPerSecond": .stringConvertible((commitsPerSecond * 10).rounded() / 10),
                "rowsPerCommit": .stringConvertible((rowsPerCommit * 10).rounded() / 10),
                "meanCommitMs": .stringConvertible((meanCommitMs * 100).rounded() / 100),
                "longestCommitMs": .stringConvertible((longestCommitMs * 100).rounded() / 100),
            ]),
            "meanBatch": .dictionary(meanBatch.mapValues { .stringConvertible(($0 * 10).rounded() / 10) }),
        ]
        if let epoch { metadata["epoch"] = .stringConvertible(epoch) }
        for upstream in upstreams {
            metadata[upstream.name] = .dictionary([
                "sent": .stringConvertible(upstream.counters.sent),
                "answered": numbers(upstream.counters.answered),
                "retried": .stringConvertible(upstream.counters.retried),
                "outcomeUnknown": .stringConvertible(upstream.counters.outcomeUnknown),
                "latencyMs": quantiles(upstream.latency),
            ])
        }
        return metadata
    }
}

/// One active upstream's figures in a metrics line.
struct UpstreamLine: Sendable {
    var name: String
    var counters: UpstreamMetrics.Counters
    /// Send to answer, since the previous line.
    var latency: RelayMetrics.Quantiles
}

/// Sets the gauges of a metrics line in swift-metrics (the counters and timers are
/// instrumented where they happen, see ``RelayMetrics``). The log line has these figures from
/// the line itself; Prometheus gets them here, once per interval.
struct GaugeExporter {
    let factory: any MetricsFactory
    private var gauges: [String: Gauge] = [:]

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    mutating func export(_ line: MetricsLine) {
        gauge("mts_relay_active", line.role == .active ? 1 : 0)
        gauge("mts_relay_epoch", Double(line.epoch ?? 0))
        gauge("mts_relay_pending", Double(line.pending))
        gauge("mts_relay_held_replies", Double(line.heldReplies))
        gauge("mts_relay_queued_results", Double(line.queuedResults))
        gauge("mts_relay_oldest_pending_age_seconds", Double(line.oldestPendingAgeMs) / 1000)
        gauge("mts_relay_unacked_deliveries", Double(line.unacked))
        for (sink, backlog) in line.counters.sinkBacklog {
            gauge("mts_relay_sink_backlog", Double(backlog.records), dimensions: [("sink", sink)])
            gauge(
                "mts_relay_sink_oldest_undelivered_age_seconds", Double(backlog.oldestAgeMs) / 1000,
                dimensions: [("sink", sink)])
        }
        for lag in line.watermarkLags {
            // An unknown watermark shows as -1: a gauge has no "unknown".
            gauge(
                "mts_relay_watermark_lag_seconds", lag.lagMs.map { Double($0) / 1000 } ?? -1,
                dimensions: [("source", lag.source.rawValue), ("queue", lag.queue)])
        }
    }

    private mutating func gauge(_ label: String, _ value: Double, dimensions: [(String, String)] = []) {
        let key = ([label] + dimensions.map(\.1)).joined(separator: "|")
        let gauge = gauges[key] ?? Gauge(label: label, dimensions: dimensions, factory: factory)
        gauges[key] = gauge
        gauge.record(value)
    }
}
