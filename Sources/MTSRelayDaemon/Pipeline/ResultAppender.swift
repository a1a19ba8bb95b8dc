import Logging
import MTSCorrelation

/// Writes result records into an engine's log of results: counts and logs each record once,
/// stamps the relay's node on it, encodes it once. The sinks read the log later, each from its
/// own cursor (``SinkReader``); nothing here waits for a sink.
struct ResultAppender: Sendable {
    let engine: CorrelationEngine
    /// The configured sinks, to count the records none of them selects.
    let routes: [SinkRoute]
    let metrics: RelayMetrics
    let logger: Logger
    /// Written into every record as `node`: the relay that decided (`ha.node`).
    let node: String?

    /// Appends `records` and confirms the results `ids` in the same transaction; does not
    /// wait for it (``ResultLog/waitDurable()`` does).
    func append(_ records: [ResultRecord], confirming ids: [CorrelationResult.ID]) async throws {
        try await engine.appendToLog(drafts(records), confirming: ids)
    }

    /// Appends `records` and returns once they are durable.
    func appendDurably(_ records: [ResultRecord], confirming ids: [CorrelationResult.ID] = []) async throws {
        try await append(records, confirming: ids)
        try await engine.log.waitDurable()
    }

    private func drafts(_ records: [ResultRecord]) -> [ResultLogDraft] {
        var drafts: [ResultLogDraft] = []
        drafts.reserveCapacity(records.count)
        for var record in records {
            note(record)
            record.node = node
            if !routes.contains(where: { $0.selects(outcome: record.outcome, operation: record.operation) }) {
                metrics.recordUnrouted()
            }
            drafts.append(
                ResultLogDraft(
                    outcome: record.outcome.rawValue, operation: record.operation,
                    correlationId: record.correlationId, json: record.jsonBytes()))
        }
        return drafts
    }

    /// Counts and logs one record.
    private func note(_ record: ResultRecord) {
        metrics.recordResult(record.outcome)
        if let latency = record.latencyMs { metrics.recordReplyLatency(milliseconds: latency) }
        if record.outcome == .invalid {
            logger.warning(
                "Invalid message",
                metadata: [
                    "correlationId": "\(record.correlationId ?? "-")", "queue": "\(record.queue ?? "-")",
                    "reason": "\(record.error ?? "-")",
                ])
        } else {
            logger.debug(
                "Result",
                metadata: [
                    "outcome": "\(record.outcome.rawValue)",
                    "correlationId": "\(record.correlationId ?? "-")",
                    "operation": "\(record.operation ?? "-")",
                ])
        }
    }
}
