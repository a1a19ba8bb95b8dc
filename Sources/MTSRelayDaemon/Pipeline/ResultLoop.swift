import Logging
import MTSCorrelation
import ServiceLifecycle

/// Takes the engine's results in batches and, for each result: dead-letters an invalid
/// reply, builds the record and hands it to the sinks; then confirms the batch's delivered
/// results to the engine in one call and acknowledges their replies' deliveries — in that
/// order, so that nothing is acknowledged before it is safe.
///
/// The results of a batch go to the sinks concurrently (the sinks merge concurrent writes), and
/// up to `concurrentBatches` batches are under way at once. While they are all held up (a sink
/// keeps failing) the loop takes no more results: the engine's bounded result buffer fills, its
/// timer loop stops firing timeouts, and the reply deliveries stay unacknowledged, bounded by
/// the prefetch. Everything resumes when the sinks accept again.
struct ResultLoop: Service {
    let engine: CorrelationEngine
    let registry: DeliveryRegistry
    let dispatcher: ResultDispatcher
    let metrics: RelayMetrics
    let logger: Logger
    var batchSize = 128
    var concurrentBatches = 4

    func run() async throws {
        let limiter = AsyncLimiter(limit: concurrentBatches)
        // Ends when the engine's buffer finishes (engine shut down) or on graceful shutdown.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while let batch = await engine.results.next(max: batchSize) {
                    await limiter.acquire()
                    group.addTask {
                        await handle(batch)
                        limiter.release()
                    }
                }
            }
        }
    }

    private func handle(_ batch: [CorrelationResult]) async {
        let entries = batch.map { result in result.token.flatMap(registry.take) }
        defer { for entry in entries where entry != nil { registry.finished() } }
        let delivered = await withTaskGroup(of: Int?.self) { group in
            for index in batch.indices {
                group.addTask { await deliver(batch[index], entry: entries[index]) ? index : nil }
            }
            var delivered: [Int] = []
            for await index in group { if let index { delivered.append(index) } }
            return delivered
        }
        guard !delivered.isEmpty else { return }
        do {
            try await engine.confirm(delivered.map { batch[$0].id })
        } catch {
            logger.error(
                "Could not confirm delivered results; their messages stay unacknowledged",
                metadata: ["results": "\(delivered.count)", "error": "\(error)"])
            return
        }
        for index in delivered { entries[index]?.delivery.ack() }
    }

    /// Hands one result to the sinks; returns whether every sink accepted it.
    private func deliver(_ result: CorrelationResult, entry: DeliveryRegistry.Entry?) async -> Bool {
        do {
            if result.outcome == .invalid, let entry {
                let reason = RecordBuilder.invalidReason(of: result)
                try await entry.deadLetter.publish(entry.delivery, queue: entry.queue, reason: reason)
            }
            let record = RecordBuilder.record(for: result, entry: entry, now: Timestamp.nowMilliseconds())
            try await dispatcher.dispatch(record)
            if let entry { metrics.recordRelayLatency(.now - entry.receivedAt) }
            return true
        } catch is CancellationError {
            // Shutting down: unacknowledged, so the broker delivers it again after the restart.
            return false
        } catch {
            logger.error(
                "Could not deliver a result; its message stays unacknowledged",
                metadata: ["correlationId": "\(result.correlationId ?? "-")", "error": "\(error)"])
            return false
        }
    }
}
