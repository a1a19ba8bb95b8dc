import Logging
import Synchronization

/// One configured sink with its filters, its retry policy and how far it may fall behind: what
/// its reader (``SinkReader``) talks to.
///
/// `deliver` keeps retrying a retryable failure with exponential backoff and jitter
/// (honouring a server's Retry-After) until the sink accepts, the task is cancelled, or the
/// caller abandons the batch (a sink that is not required, fallen too far behind); it never
/// gives up on a record by itself. A permanent failure is thrown.
public struct SinkRoute: Sendable {
    public let sink: any ResultSink
    /// Empty means every outcome.
    public let outcomes: Set<ResultRecord.Outcome>
    /// Empty means every operation.
    public let operations: Set<String>
    let retry: RelayConfiguration.Retry
    /// Whether consumption waits for this sink once it is `maxBacklog` records behind; if not,
    /// it drops its own oldest records instead.
    public var required = true
    public var maxBacklog = 100_000
    /// Called once per failed attempt that will be retried (for the metrics).
    var onRetry: @Sendable (SinkError) -> Void = { _ in }
    /// Shared by every delivery to this sink: during an outage hundreds of records retry at
    /// once, and one error line every few seconds says as much as one each.
    private let failureLog = LogLimiter(interval: .seconds(5))
    private let recoveryLog = LogLimiter(interval: .seconds(5))

    public init(
        sink: any ResultSink, outcomes: Set<ResultRecord.Outcome> = [], operations: Set<String> = [],
        retry: RelayConfiguration.Retry = .init()
    ) {
        self.sink = sink
        self.outcomes = outcomes
        self.operations = operations
        self.retry = retry
    }

    /// Whether this sink wants the record. A record without an operation passes only an
    /// empty operations filter.
    public func selects(outcome: ResultRecord.Outcome, operation: String?) -> Bool {
        guard outcomes.isEmpty || outcomes.contains(outcome) else { return false }
        guard !operations.isEmpty else { return true }
        return operation.map(operations.contains) ?? false
    }

    /// Hands the records to the sink, retrying until it accepts them. Before each attempt it
    /// asks `mayEmit` (the relay still holds its group's lease) and throws
    /// ``NotActiveError`` instead when not; and `abandon`, throwing ``AbandonedBatch`` when it
    /// says so.
    public func deliver(
        _ records: [SinkRecord], logger: Logger, mayEmit: () -> Bool = { true },
        abandon: () -> Bool = { false }
    ) async throws {
        var backoff = Backoff(
            initial: .milliseconds(retry.initialDelayMs), maximum: .milliseconds(retry.maxDelayMs))
        var attempt = 0
        while true {
            guard mayEmit() else { throw NotActiveError() }
            if attempt > 0, abandon() { throw AbandonedBatch() }
            do {
                try await sink.write(records)
                if attempt > 0, recoveryLog.shouldLog() != nil {
                    logger.notice(
                        "Sink recovered", metadata: ["sink": "\(sink.name)", "attempts": "\(attempt + 1)"])
                }
                return
            } catch let error as SinkError where error.isRetryable {
                attempt += 1
                onRetry(error)
                let delay = max(backoff.next(), error.retryAfter ?? .zero)
                // At most one error line per sink every 5 seconds, however many records retry.
                if let suppressed = failureLog.shouldLog() {
                    logger.error(
                        "Sink failed; retrying",
                        metadata: [
                            "sink": "\(sink.name)", "error": "\(error.reason)", "attempt": "\(attempt)",
                            "retryInMs": "\(delay.milliseconds)", "suppressedSinceLast": "\(suppressed)",
                        ])
                }
                try await Task.sleep(for: delay)
            }
        }
    }
}

/// A batch given up by its reader (a sink that is not required fell past its `maxBacklog`).
struct AbandonedBatch: Error {}

/// Lets one log line through per interval and counts the ones it held back.
final class LogLimiter: Sendable {
    private let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, suppressed: Int)>((nil, 0))

    init(interval: Duration) {
        self.interval = interval
    }

    /// The number of lines suppressed since the last one, when this one may be logged.
    func shouldLog() -> Int? {
        let now = ContinuousClock.now
        return state.withLock { state in
            if let last = state.last, now - last < interval {
                state.suppressed += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.suppressed
        }
    }
}
