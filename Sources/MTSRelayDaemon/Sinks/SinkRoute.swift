import Logging

/// One configured sink with its filters and its retry policy: what the pipeline talks to.
///
/// `deliver` keeps retrying a retryable failure with exponential backoff and jitter
/// (honouring a server's Retry-After) until the sink accepts or the task is cancelled; it
/// never gives up on a record by itself, so a failing sink holds back acknowledgements
/// (bounded by the prefetch) instead of losing anything. A permanent failure is thrown.
public struct SinkRoute: Sendable {
    public let sink: any ResultSink
    /// Empty means every outcome.
    public let outcomes: Set<ResultRecord.Outcome>
    /// Empty means every operation.
    public let operations: Set<String>
    let retry: RelayConfiguration.Retry
    /// Called once per failed attempt that will be retried (for the metrics).
    var onRetry: @Sendable (SinkError) -> Void = { _ in }

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

    /// Hands the records to the sink, retrying until it accepts them.
    public func deliver(_ records: [SinkRecord], logger: Logger) async throws {
        var backoff = Backoff(
            initial: .milliseconds(retry.initialDelayMs), maximum: .milliseconds(retry.maxDelayMs))
        var attempt = 0
        while true {
            do {
                try await sink.write(records)
                if attempt > 0 {
                    logger.notice(
                        "Sink recovered", metadata: ["sink": "\(sink.name)", "attempts": "\(attempt + 1)"])
                }
                return
            } catch let error as SinkError where error.isRetryable {
                attempt += 1
                onRetry(error)
                let delay = max(backoff.next(), error.retryAfter ?? .zero)
                // One error line when the trouble starts, then one every 10 attempts.
                if attempt == 1 || attempt % 10 == 0 {
                    logger.error(
                        "Sink failed; retrying",
                        metadata: [
                            "sink": "\(sink.name)", "error": "\(error.reason)", "attempt": "\(attempt)",
                            "retryInMs": "\(delay.milliseconds)",
                        ])
                }
                try await Task.sleep(for: delay)
            }
        }
    }
}
