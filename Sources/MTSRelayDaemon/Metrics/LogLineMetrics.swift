import CoreMetrics
import Histogram
import Synchronization

/// The swift-metrics backend behind the `metrics` log line: counters since start and latency
/// histograms (HdrHistogram) that start afresh with every line. The daemon instruments once,
/// through swift-metrics; this backend and Prometheus's (when configured) receive the same
/// figures, multiplexed. There is no second registry to replay.
///
/// Counters are kept by label and the value of their one dimension (`queue`, `outcome`,
/// `sink`, `status`; "" without one); timers by label, in microseconds up to a day.
final class LogLineMetrics: MetricsFactory, Sendable {
    private struct State {
        var counters: [String: [String: Int]] = [:]
        var timers: [String: Histogram<UInt64>] = [:]
    }

    private let state = Mutex(State())

    /// The counters of `label`, by dimension value.
    func counters(_ label: String) -> [String: Int] {
        state.withLock { $0.counters[label] ?? [:] }
    }

    /// The counter of `label` without a dimension.
    func counter(_ label: String) -> Int {
        state.withLock { $0.counters[label]?[""] ?? 0 }
    }

    /// The quantiles of timer `label` in milliseconds since the previous call; resets it.
    func takeQuantiles(_ label: String) -> MetricsQuantiles {
        state.withLock { state in
            guard var histogram = state.timers[label], histogram.totalCount > 0 else { return .empty }
            defer {
                histogram.reset()
                state.timers[label] = histogram
            }
            func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
            return MetricsQuantiles(
                count: Int(histogram.totalCount), p50: ms(histogram.valueAtPercentile(50)),
                p90: ms(histogram.valueAtPercentile(90)), p99: ms(histogram.valueAtPercentile(99)),
                max: ms(histogram.max))
        }
    }

    fileprivate func add(_ value: Int64, to label: String, _ dimension: String) {
        state.withLock { $0.counters[label, default: [:]][dimension, default: 0] += Int(value) }
    }

    fileprivate func record(microseconds: UInt64, into label: String) {
        state.withLock { state in
            if state.timers[label] == nil {
                state.timers[label] = Histogram<UInt64>(
                    highestTrackableValue: 86_400_000_000, numberOfSignificantValueDigits: .three)
            }
            _ = state.timers[label]!.record(min(microseconds, 86_400_000_000))
        }
    }

    // MARK: MetricsFactory

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let dimension = dimensions.first?.1 ?? ""
        add(0, to: label, dimension)  // listed at 0 from its creation
        return Counter(metrics: self, label: label, dimension: dimension)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        // Gauges are in the line already (read from the engine when it is sampled).
        Ignored()
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Timer(metrics: self, label: label)
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Counter: CounterHandler, Sendable {
        let metrics: LogLineMetrics
        let label: String
        let dimension: String
        init(metrics: LogLineMetrics, label: String, dimension: String) {
            (self.metrics, self.label, self.dimension) = (metrics, label, dimension)
        }
        func increment(by amount: Int64) { metrics.add(amount, to: label, dimension) }
        func reset() {}
    }

    private final class Timer: TimerHandler, Sendable {
        let metrics: LogLineMetrics
        let label: String
        init(metrics: LogLineMetrics, label: String) { (self.metrics, self.label) = (metrics, label) }
        func recordNanoseconds(_ duration: Int64) {
            metrics.record(microseconds: UInt64(clamping: max(duration, 0) / 1000), into: label)
        }
    }

    private final class Ignored: RecorderHandler, Sendable {
        func record(_ value: Int64) {}
        func record(_ value: Double) {}
    }
}

/// Quantiles of one latency histogram, in milliseconds.
struct MetricsQuantiles: Sendable, Equatable {
    var count: Int
    var p50: Double
    var p90: Double
    var p99: Double
    var max: Double

    static let empty = MetricsQuantiles(count: 0, p50: 0, p90: 0, p99: 0, max: 0)
}
