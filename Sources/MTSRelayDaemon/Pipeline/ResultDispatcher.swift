import Logging

/// Hands batches of records to the sinks that select them, each through its own bounded
/// ``SinkLane``, and says when every one of them accepted a batch: the moment its messages may
/// be acknowledged. Each record is encoded once, whatever the number of sinks.
public struct ResultDispatcher: Sendable {
    let lanes: [SinkLane]
    let logger: Logger
    let metrics: RelayMetrics
    /// Written into every record as `node`: the relay that decided (`ha.node`).
    let node: String?
    /// Open while this relay may emit records (always, without a lease).
    let gate: EmissionGate

    /// The configured sinks, with their filters.
    public var routes: [SinkRoute] { lanes.map(\.route) }

    /// Batches each sink's lane holds waiting, and delivers at once.
    static let laneDepth = 4

    init(
        routes: [SinkRoute], logger: Logger, metrics: RelayMetrics, node: String? = nil,
        gate: EmissionGate = .alwaysOpen(), laneDepth: Int = Self.laneDepth
    ) {
        self.node = node
        self.gate = gate
        lanes = routes.enumerated().map { SinkLane(route: $1, index: $0, depth: laneDepth, gate: gate) }
        self.logger = logger
        self.metrics = metrics
    }

    /// Runs every lane's worker until the task is cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            for lane in lanes {
                group.addTask { await lane.run(metrics: metrics, logger: logger) }
            }
        }
    }

    /// Queues the records for their sinks and returns; `settled` is told nil once every sink
    /// that selects any of them accepted them, or the first error. Suspends while a selected
    /// sink's queue is full (backpressure).
    func submit(_ records: [ResultRecord], settled: @escaping @Sendable ((any Error)?) -> Void) async {
        var lines: [SinkRecord] = []
        lines.reserveCapacity(records.count)
        for var record in records {
            note(record)
            record.node = node
            lines.append(SinkRecord(record))
        }
        var batches: [(lane: SinkLane, records: [SinkRecord])] = []
        var routed = [Bool](repeating: false, count: lines.count)
        for lane in lanes {
            var selected: [SinkRecord] = []
            for (index, line) in lines.enumerated()
            where lane.route.selects(outcome: line.outcome, operation: line.operation) {
                selected.append(line)
                routed[index] = true
            }
            if !selected.isEmpty { batches.append((lane, selected)) }
        }
        for isRouted in routed where !isRouted { metrics.recordUnrouted() }
        guard !batches.isEmpty else { return settled(nil) }
        let settlement = BatchSettlement(lanes: Set(batches.map(\.lane.index)), settled: settled)
        let epoch = gate.epoch
        for batch in batches {
            await batch.lane.enqueue(
                SinkLane.Batch(records: batch.records, settlement: settlement, epoch: epoch))
        }
    }

    /// Hands the records to their sinks and returns once every one accepted them; throws the
    /// first refusal, or `CancellationError`.
    func dispatch(_ records: [ResultRecord]) async throws {
        let (outcome, continuation) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        await submit(records) { error in
            continuation.yield(error.map { .failure($0) } ?? .success(()))
            continuation.finish()
        }
        // Ends without a value when the task is cancelled.
        for await result in outcome { return try result.get() }
        throw CancellationError()
    }

    /// Hands one record to its sinks; see ``dispatch(_:)-([ResultRecord])``.
    func dispatch(_ record: ResultRecord) async throws {
        try await dispatch([record])
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
