import CoreMetrics
import Histogram
import Synchronization

/// The daemon's figures: counters since start, gauges read when asked, and latency
/// histograms (HdrHistogram) that start afresh with every metrics line.
///
/// Every part records into this one object (lock-protected, a few counter bumps per message).
/// `MetricsReporter` turns it into the periodic log line and, when a swift-metrics backend is
/// bootstrapped, into swift-metrics counters, gauges and timers.
final class RelayMetrics: Sendable {
    struct Counters: Sendable, Equatable {
        var consumed: [String: Int] = [:]
        var results: [String: Int] = Dictionary(
            uniqueKeysWithValues: ResultRecord.Outcome.allCases.map { ($0.rawValue, 0) })
        var unrouted = 0
        var sinkAccepted: [String: Int] = [:]
        var sinkRetried: [String: Int] = [:]
        var sinkFailed: [String: Int] = [:]
        var reconnects = 0
        /// Sinks whose last attempt failed and is being retried.
        var failingSinks: Set<String> = []
    }

    /// Quantiles of one latency histogram, in milliseconds.
    struct Quantiles: Sendable, Equatable {
        var count: Int
        var p50: Double
        var p90: Double
        var p99: Double
        var max: Double
    }

    struct Interval: Sendable {
        var counters: Counters
        var replyLatency: Quantiles
        var relayLatency: Quantiles
        var wait: Quantiles
    }

    private struct State {
        var counters = Counters()
        /// Request to reply, from the messages' timestamps: milliseconds, up to a day.
        var replyLatency = Histogram<UInt64>(
            highestTrackableValue: 86_400_000, numberOfSignificantValueDigits: .three)
        /// Delivery to all sinks accepted, less the wait below: microseconds, up to an hour.
        var relayLatency = Histogram<UInt64>(
            highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        /// How long replies waited for their request or the intake watermark: milliseconds, up
        /// to a day.
        var wait = Histogram<UInt64>(
            highestTrackableValue: 86_400_000, numberOfSignificantValueDigits: .three)
        var unackedIntake = 0
    }

    private let state = Mutex(State())
    /// Timers fed on every record when a swift-metrics backend is bootstrapped; nil otherwise,
    /// so the default configuration pays nothing for them.
    private let replyLatencyTimer: CoreMetrics.Timer?
    private let relayLatencyTimer: CoreMetrics.Timer?

    init(exportToSwiftMetrics: Bool = false) {
        if exportToSwiftMetrics {
            replyLatencyTimer = CoreMetrics.Timer(label: "mts_relay_reply_latency")
            relayLatencyTimer = CoreMetrics.Timer(label: "mts_relay_relay_latency")
        } else {
            replyLatencyTimer = nil
            relayLatencyTimer = nil
        }
    }

    /// Lists the queues and sinks from the start, so that every metrics line names them, at 0
    /// until something happens.
    func preset(queues: [String], sinks: [String]) {
        state.withLock { state in
            for queue in queues { state.counters.consumed[queue, default: 0] += 0 }
            for sink in sinks {
                state.counters.sinkAccepted[sink, default: 0] += 0
                state.counters.sinkRetried[sink, default: 0] += 0
                state.counters.sinkFailed[sink, default: 0] += 0
            }
        }
    }

    func recordConsumed(queue: String, count: Int = 1) {
        state.withLock { $0.counters.consumed[queue, default: 0] += count }
    }
    func recordResult(_ outcome: ResultRecord.Outcome) {
        state.withLock { $0.counters.results[outcome.rawValue, default: 0] += 1 }
    }
    func recordUnrouted() { state.withLock { $0.counters.unrouted += 1 } }
    func recordAccepted(sink: String, count: Int = 1) {
        state.withLock {
            $0.counters.sinkAccepted[sink, default: 0] += count
            $0.counters.failingSinks.remove(sink)
        }
    }
    func recordRetry(sink: String) {
        state.withLock {
            $0.counters.sinkRetried[sink, default: 0] += 1
            $0.counters.failingSinks.insert(sink)
        }
    }
    func recordFailed(sink: String, count: Int = 1) {
        state.withLock { $0.counters.sinkFailed[sink, default: 0] += count }
    }
    func recordReconnect() { state.withLock { $0.counters.reconnects += 1 } }

    /// Intake messages received and not yet acknowledged (or given up).
    func intakeInFlight(_ delta: Int) { state.withLock { $0.unackedIntake += delta } }
    var unackedIntake: Int { state.withLock { $0.unackedIntake } }

    /// Request to reply, from the messages' `timestampUtc` (clock skew below zero counts as 0).
    func recordReplyLatency(milliseconds: Int64) {
        let value = UInt64(clamping: max(milliseconds, 0))
        state.withLock { _ = $0.replyLatency.record(min(value, 86_400_000)) }
        replyLatencyTimer?.recordMilliseconds(value)
    }

    /// How long a reply waited in the engine for its request or for the intake watermark.
    func recordWait(milliseconds: Int64) {
        let value = UInt64(clamping: max(milliseconds, 0))
        state.withLock { _ = $0.wait.record(min(value, 86_400_000)) }
    }

    /// From a delivery's arrival to every sink having accepted its record, less its wait.
    func recordRelayLatency(_ duration: Duration) {
        let microseconds = UInt64(clamping: max(duration.nanoseconds / 1000, 0))
        state.withLock { _ = $0.relayLatency.record(min(microseconds, 3_600_000_000)) }
        relayLatencyTimer?.recordNanoseconds(duration.nanoseconds)
    }

    /// The counters, and the latency quantiles since the previous call (the histograms are
    /// reset).
    func takeInterval() -> Interval {
        state.withLock { state in
            defer {
                state.replyLatency.reset()
                state.relayLatency.reset()
                state.wait.reset()
            }
            return Interval(
                counters: state.counters,
                replyLatency: Self.quantiles(state.replyLatency, unitsPerMillisecond: 1),
                relayLatency: Self.quantiles(state.relayLatency, unitsPerMillisecond: 1000),
                wait: Self.quantiles(state.wait, unitsPerMillisecond: 1))
        }
    }

    private static func quantiles(_ histogram: Histogram<UInt64>, unitsPerMillisecond: Double) -> Quantiles {
        guard histogram.totalCount > 0 else { return Quantiles(count: 0, p50: 0, p90: 0, p99: 0, max: 0) }
        func ms(_ value: UInt64) -> Double { (Double(value) / unitsPerMillisecond * 1000).rounded() / 1000 }
        return Quantiles(
            count: Int(histogram.totalCount), p50: ms(histogram.valueAtPercentile(50)),
            p90: ms(histogram.valueAtPercentile(90)), p99: ms(histogram.valueAtPercentile(99)),
            max: ms(histogram.max))
    }
}
