import CoreMetrics
import Histogram
import Logging
import Synchronization

/// An active upstream's figures: requests sent, answers by status, retried attempts, outcomes
/// unknown (counters since start) and the latency of the answers (send to answer, quantiles
/// since the previous metrics line).
final class UpstreamMetrics: Sendable {
    /// The upstream's name (`jackpot`), the key of its figures in the metrics line.
    let name: String

    struct Counters: Sendable, Equatable {
        var sent = 0
        var answered: [String: Int] = [:]
        var retried = 0
        var outcomeUnknown = 0
    }

    private struct State {
        var counters = Counters()
        /// Send to answer, ms up to an hour.
        var latency = Histogram<UInt64>(
            highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: .three)
    }

    private let state = Mutex(State())
    private let latencyTimer: CoreMetrics.Timer?

    init(name: String, exportToSwiftMetrics: Bool) {
        self.name = name
        latencyTimer =
            exportToSwiftMetrics ? CoreMetrics.Timer(label: "mts_relay_\(name)_latency") : nil
    }

    func recordSent() { state.withLock { $0.counters.sent += 1 } }
    func recordRetry() { state.withLock { $0.counters.retried += 1 } }
    func recordOutcomeUnknown() { state.withLock { $0.counters.outcomeUnknown += 1 } }

    /// An answer with `status`, `latency` after the attempt began.
    func recordAnswer(status: Int, latency: Duration) {
        let milliseconds = UInt64(clamping: max(latency.milliseconds, 0))
        state.withLock {
            $0.counters.answered[String(status), default: 0] += 1
            _ = $0.latency.record(min(milliseconds, 3_600_000))
        }
        latencyTimer?.recordNanoseconds(latency.nanoseconds)
    }

    /// The counters, and the latency quantiles since the previous call (the histogram is reset).
    func takeInterval() -> (counters: Counters, latency: RelayMetrics.Quantiles) {
        state.withLock { state in
            defer { state.latency.reset() }
            let histogram = state.latency
            guard histogram.totalCount > 0 else {
                return (state.counters, RelayMetrics.Quantiles(count: 0, p50: 0, p90: 0, p99: 0, max: 0))
            }
            return (
                state.counters,
                RelayMetrics.Quantiles(
                    count: Int(histogram.totalCount), p50: Double(histogram.valueAtPercentile(50)),
                    p90: Double(histogram.valueAtPercentile(90)),
                    p99: Double(histogram.valueAtPercentile(99)),
                    max: Double(histogram.max))
            )
        }
    }
}
