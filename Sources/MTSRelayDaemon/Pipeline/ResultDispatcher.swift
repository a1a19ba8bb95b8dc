import Logging

/// Sends each record to every sink that selects it, concurrently, and returns once all of
/// them accepted it: the moment its message may be acknowledged.
public struct ResultDispatcher: Sendable {
    public let routes: [SinkRoute]
    let logger: Logger
    let metrics: RelayMetrics

    init(routes: [SinkRoute], logger: Logger, metrics: RelayMetrics) {
        self.routes = routes
        self.logger = logger
        self.metrics = metrics
    }

    func dispatch(_ record: ResultRecord) async throws {
        let selected = routes.filter { $0.selects(outcome: record.outcome, operation: record.operation) }
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
        guard !selected.isEmpty else {
            metrics.recordUnrouted()
            return
        }
        let line = SinkRecord(record)
        if selected.count == 1 {
            try await selected[0].deliver([line], logger: logger)
            metrics.recordAccepted(sink: selected[0].sink.name)
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for route in selected {
                group.addTask {
                    try await route.deliver([line], logger: logger)
                    metrics.recordAccepted(sink: route.sink.name)
                }
            }
            try await group.waitForAll()
        }
    }
}
