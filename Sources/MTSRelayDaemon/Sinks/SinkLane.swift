import AsyncAlgorithms
import Logging

/// One sink's bounded queue of record batches, with the worker that delivers them.
///
/// The queue is swift-async-algorithms' `AsyncChannel` read through a bounded buffer: the
/// worker keeps up to `depth` batches waiting and `depth` being delivered, and past that
/// ``enqueue(_:)`` suspends. So a failing sink, retrying in its own worker
/// (``SinkRoute/deliver(_:logger:)``), holds up the others by at most `2 × depth` batches,
/// and memory stays bounded during any outage.
final class SinkLane: Sendable {
    /// Records for this sink, and the batch they settle.
    struct Batch: Sendable {
        var records: [SinkRecord]
        var settlement: BatchSettlement
        /// The lease's epoch the records were decided under (nil without a lease).
        var epoch: Int64?
    }

    let route: SinkRoute
    /// Closed once this relay may no longer emit (it lost its group's lease).
    let gate: EmissionGate
    /// Tells this lane's completions apart in a ``BatchSettlement``.
    let index: Int
    private let depth: Int
    private let channel = AsyncChannel<Batch>()

    /// The most batches a lane of `depth` holds: `depth` waiting, `depth` being delivered, and
    /// one in the hand-over.
    static func heldBatchesBound(depth: Int) -> Int { 2 * depth + 1 }

    init(route: SinkRoute, index: Int, depth: Int, gate: EmissionGate) {
        self.route = route
        self.gate = gate
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

    /// Delivers the queued batches until the task is cancelled, up to `depth` at once: a sink
    /// that merges concurrent writes (the file sink's group commit: one fsync for all of them)
    /// is not held to one batch per round trip. Each batch settles on its own.
    func run(metrics: RelayMetrics, logger: Logger) async {
        let inFlight = AsyncLimiter(limit: depth)
        await withDiscardingTaskGroup { group in
            for await batch in channel.buffer(policy: .bounded(depth)) {
                await inFlight.acquire()
                group.addTask {
                    await self.deliver(batch, metrics: metrics, logger: logger)
                    inFlight.release()
                }
            }
        }
    }

    private func deliver(_ batch: Batch, metrics: RelayMetrics, logger: Logger) async {
        let name = route.sink.name
        do {
            try await route.deliver(batch.records, logger: logger, mayEmit: { gate.isOpen(for: batch.epoch) })
            metrics.recordAccepted(sink: name, count: batch.records.count)
            batch.settlement.complete(lane: index, error: nil)
        } catch {
            // Cancelled, or no longer active: nothing failed, the messages come again elsewhere.
            if !(error is CancellationError), !(error is NotActiveError) {
                metrics.recordFailed(sink: name, count: batch.records.count)
                logger.error(
                    "Sink refused records; their messages stay unacknowledged",
                    metadata: ["sink": "\(name)", "records": "\(batch.records.count)", "error": "\(error)"])
            }
            batch.settlement.complete(lane: index, error: error)
        }
    }
}
