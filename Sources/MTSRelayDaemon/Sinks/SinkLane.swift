import AsyncAlgorithms
import Logging

/// One sink's bounded queue of record batches, with the worker that delivers them in order.
///
/// The queue is swift-async-algorithms' `AsyncChannel` read through a bounded buffer: the
/// worker keeps up to `depth` batches waiting, and past that ``enqueue(_:)`` suspends. So a
/// failing sink, retrying in its own worker (``SinkRoute/deliver(_:logger:)``), holds up the
/// others by at most `depth` batches, and memory stays bounded during any outage.
final class SinkLane: Sendable {
    /// Records for this sink, and the batch they settle.
    struct Batch: Sendable {
        var records: [SinkRecord]
        var settlement: BatchSettlement
    }

    let route: SinkRoute
    /// Tells this lane's completions apart in a ``BatchSettlement``.
    let index: Int
    private let depth: Int
    private let channel = AsyncChannel<Batch>()

    init(route: SinkRoute, index: Int, depth: Int = 8) {
        self.route = route
        self.index = index
        self.depth = depth
    }

    /// Queues a batch; suspends while `depth` batches wait. When the task is cancelled while
    /// waiting, the batch counts as not accepted by this sink.
    func enqueue(_ batch: Batch) async {
        await channel.send(batch)
        // A cancelled send may or may not have been taken; the settlement keeps the first word.
        if Task.isCancelled { batch.settlement.complete(lane: index, error: CancellationError()) }
    }

    /// Delivers the queued batches in order until the task is cancelled.
    func run(metrics: RelayMetrics, logger: Logger) async {
        let name = route.sink.name
        for await batch in channel.buffer(policy: .bounded(depth)) {
            do {
                try await route.deliver(batch.records, logger: logger)
                metrics.recordAccepted(sink: name, count: batch.records.count)
                batch.settlement.complete(lane: index, error: nil)
            } catch {
                if !(error is CancellationError) {
                    metrics.recordFailed(sink: name, count: batch.records.count)
                    logger.error(
                        "Sink refused records; their messages stay unacknowledged",
                        metadata: [
                            "sink": "\(name)", "records": "\(batch.records.count)", "error": "\(error)",
                        ])
                }
                batch.settlement.complete(lane: index, error: error)
            }
        }
    }
}
