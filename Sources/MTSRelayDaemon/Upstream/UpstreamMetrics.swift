import CoreMetrics

/// An active upstream's figures, instrumented through swift-metrics like the rest (see
/// ``RelayMetrics``): requests sent, answers by status, retried attempts, outcomes unknown
/// (counters since start) and the latency of the answers (send to answer).
final class UpstreamMetrics: Sendable {
    /// The upstream's name (`jackpot`), the key of its figures in the metrics line.
    let name: String
    private let logLine: LogLineMetrics
    private let factory: any MetricsFactory
    private let sent: CoreMetrics.Counter
    private let retried: CoreMetrics.Counter
    private let outcomeUnknown: CoreMetrics.Counter
    private let latency: CoreMetrics.Timer

    struct Counters: Sendable, Equatable {
        var sent = 0
        var answered: [String: Int] = [:]
        var retried = 0
        var outcomeUnknown = 0
    }

    private var prefix: String { "mts_relay_\(name)" }

    init(name: String, metrics: RelayMetrics) {
        self.name = name
        logLine = metrics.logLine
        factory = metrics.factory
        let prefix = "mts_relay_\(name)"
        sent = CoreMetrics.Counter(label: "\(prefix)_sent_total", factory: factory)
        retried = CoreMetrics.Counter(label: "\(prefix)_retried_total", factory: factory)
        outcomeUnknown = CoreMetrics.Counter(label: "\(prefix)_outcome_unknown_total", factory: factory)
        latency = CoreMetrics.Timer(label: "\(prefix)_latency", factory: factory)
    }

    func recordSent(_ count: Int = 1) { sent.increment(by: count) }
    func recordRetry() { retried.increment() }
    func recordOutcomeUnknown() { outcomeUnknown.increment() }

    /// An answer with `status`, `latency` after the attempt began.
    func recordAnswer(status: Int, latency: Duration) {
        // Few statuses ever occur; a handle per answer is cheap next to an HTTP round trip.
        CoreMetrics.Counter(
            label: "\(prefix)_answered_total", dimensions: [("status", String(status))], factory: factory
        ).increment()
        self.latency.recordNanoseconds(max(latency.nanoseconds, 0))
    }

    /// The counters, and the latency quantiles since the previous call (the histogram is reset).
    func takeInterval() -> (counters: Counters, latency: MetricsQuantiles) {
        let counters = Counters(
            sent: logLine.counter("\(prefix)_sent_total"),
            answered: logLine.counters("\(prefix)_answered_total"),
            retried: logLine.counter("\(prefix)_retried_total"),
            outcomeUnknown: logLine.counter("\(prefix)_outcome_unknown_total"))
        return (counters, logLine.takeQuantiles("\(prefix)_latency"))
    }
}
