import Logging
import MTSCorrelation
import ServiceLifecycle

/// Takes the engine's results in batches and, per batch: dead-letters its invalid replies,
/// builds and encodes the records once, and hands them to the sinks' lanes in one go
/// (``ResultDispatcher/submit(_:settled:)``). When every sink has accepted the batch, a
/// confirmer confirms it to the engine (with whatever else settled meanwhile) and then
/// acknowledges the replies' deliveries, in that order, so nothing is acknowledged before it
/// is safe. No task per result.
///
/// Each sink has its own bounded lane and retry, so a failing sink holds up no other until
/// its lane is full; then this loop waits, the engine's bounded result buffer fills, its timer
/// loop stops firing timeouts, and the reply deliveries stay unacknowledged, bounded by the
/// prefetch. Everything resumes when the sink accepts again.
struct ResultLoop: Service {
    let engine: CorrelationEngine
    let registry: DeliveryRegistry
    let dispatcher: ResultDispatcher
    let metrics: RelayMetrics
    let logger: Logger
    /// The most results taken from the engine at once.
    static let batchSize = 128
    /// The most results the loop and the sinks' lanes hold at once, per sink: the batch being
    /// handed out, plus each lane's (see ``SinkLane``). Past it, results wait in the engine.
    static var heldResultsBound: Int {
        batchSize * (1 + SinkLane.heldBatchesBound(depth: ResultDispatcher.laneDepth))
    }

    func run() async throws {
        let confirmations = ConfirmationQueue()
        await withDiscardingTaskGroup { group in
            group.addTask { await confirm(confirmations) }
            // Ends when the engine's buffer finishes (engine shut down) or on graceful shutdown;
            // batches still with the sinks then stay unacknowledged and come again.
            await cancelWhenGracefulShutdown {
                while let batch = await engine.results.next(max: Self.batchSize) {
                    await deliver(batch, confirmations: confirmations)
                }
            }
            confirmations.finish()
        }
    }

    /// Confirms delivered results in batches, then acknowledges their deliveries.
    private func confirm(_ confirmations: ConfirmationQueue) async {
        while let items = await confirmations.next() {
            do {
                try await engine.confirm(items.map(\.id))
                for item in items { item.entry?.delivery.ack() }
            } catch {
                logger.error(
                    "Could not confirm delivered results; their messages stay unacknowledged",
                    metadata: ["results": "\(items.count)", "error": "\(error)"])
            }
            for item in items where item.entry != nil { registry.finished() }
        }
    }

    /// Hands one batch of results to the sinks.
    private func deliver(_ batch: [CorrelationResult], confirmations: ConfirmationQueue) async {
        var items = batch.map { ConfirmationItem(id: $0.id, entry: $0.token.flatMap(registry.take)) }
        let refused = await deadLetterInvalidReplies(batch, items)
        var results = batch
        if !refused.isEmpty {
            for _ in refused { registry.finished() }
            results = batch.indices.filter { !refused.contains($0) }.map { batch[$0] }
            items = batch.indices.filter { !refused.contains($0) }.map { items[$0] }
        }
        let now = Timestamp.nowMilliseconds()
        var records: [ResultRecord] = []
        records.reserveCapacity(results.count)
        var received: [(at: ContinuousClock.Instant, waited: Int64)] = []
        for (result, item) in zip(results, items) {
            records.append(RecordBuilder.record(for: result, entry: item.entry, now: now))
            if let entry = item.entry {
                // A reply that waited for its request (or for the intake watermark) spent that
                // time by design: it is reported on its own, not as relay latency.
                let waited = max(result.resolvedAt - (result.replyReceivedAt ?? result.resolvedAt), 0)
                if waited > 0 { metrics.recordWait(milliseconds: waited) }
                received.append((entry.receivedAt, waited))
            }
        }
        let settledItems = items
        let replies = received
        await dispatcher.submit(records) { [metrics, registry, logger] error in
            guard let error else {
                let accepted = ContinuousClock.now
                for reply in replies {
                    metrics.recordRelayLatency(accepted - reply.at - .milliseconds(reply.waited))
                }
                confirmations.append(contentsOf: settledItems)
                return
            }
            if !(error is CancellationError) {
                logger.error(
                    "Could not deliver results; their messages stay unacknowledged",
                    metadata: ["results": "\(settledItems.count)", "error": "\(error)"])
            }
            for item in settledItems where item.entry != nil { registry.finished() }
        }
    }

    /// Republishes the batch's invalid replies to the dead-letter exchange, concurrently;
    /// returns the indices of those that could not be (they stay unacknowledged).
    private func deadLetterInvalidReplies(
        _ batch: [CorrelationResult], _ items: [ConfirmationItem]
    ) async -> Set<Int> {
        let invalid = batch.indices.filter { batch[$0].outcome == .invalid && items[$0].entry != nil }
        guard !invalid.isEmpty else { return [] }
        return await withTaskGroup(of: Int?.self) { group in
            for index in invalid {
                let (result, entry) = (batch[index], items[index].entry!)
                group.addTask {
                    do {
                        let reason = RecordBuilder.invalidReason(of: result)
                        try await entry.deadLetter.publish(entry.delivery, queue: entry.queue, reason: reason)
                        metrics.recordDeadLettered(entry.deadLetterReason)
                        return nil
                    } catch {
                        if !(error is CancellationError) {
                            logger.error(
                                "Could not dead-letter an invalid reply; it stays unacknowledged",
                                metadata: ["queue": "\(entry.queue)", "error": "\(error)"])
                        }
                        return index
                    }
                }
            }
            var refused: Set<Int> = []
            for await index in group { if let index { refused.insert(index) } }
            return refused
        }
    }
}
