import Logging
import MTSCorrelation
import ServiceLifecycle

/// Takes the engine's results in batches and, per batch: dead-letters its invalid replies,
/// builds the records once and appends them to the engine's log of results together with the
/// results' confirms (one transaction, group-committed with whatever else is queued). An
/// acknowledger waits for that commit and acknowledges the replies' deliveries, with
/// `multiple` where the tags are consecutive; the loop meanwhile goes on with the next batch.
///
/// No sink is waited for here: each reads the log at its own pace (``SinkReader``). Only a
/// *required* sink that falls its `maxBacklog` behind holds this loop (``SinkBacklog``); then
/// the engine's bounded result buffer fills, its timer loop stops firing timeouts, and the
/// reply deliveries stay unacknowledged, bounded by the prefetch, until the sink catches up.
struct ResultLoop: Service {
    let engine: CorrelationEngine
    let registry: DeliveryRegistry
    let appender: ResultAppender
    let backlog: SinkBacklog
    let metrics: RelayMetrics
    let logger: Logger
    /// The most results taken from the engine at once.
    static let batchSize = 256
    /// The most results appended and not known to be committed: past it the loop waits for the
    /// store. Results reach this loop when decided, before their commit, so this is what keeps
    /// a burst (every request of an outage timing out at once) from piling into one huge
    /// transaction while the engine's result buffer keeps being emptied.
    static let maxUncommitted = 4096

    func run() async throws {
        let acknowledgements = AcknowledgementQueue()
        await withDiscardingTaskGroup { group in
            group.addTask { await acknowledge(acknowledgements) }
            // Ends when the engine's buffer finishes (engine shut down) or on graceful shutdown;
            // replies whose records were not committed stay unacknowledged and come again.
            await cancelWhenGracefulShutdown {
                var uncommitted = 0
                while await backlog.waitWhileRequiredSinkBehind(),
                    let batch = await engine.results.next(max: Self.batchSize)
                {
                    metrics.recordBatch(.results, size: batch.count)
                    await append(batch, acknowledgements: acknowledgements)
                    uncommitted += batch.count
                    if uncommitted >= Self.maxUncommitted {
                        // A failure shows in the acknowledger; this wait only bounds the queue.
                        try? await engine.log.waitDurable()
                        uncommitted = 0
                    }
                }
            }
            acknowledgements.finish()
        }
    }

    /// Waits for the commit of what was appended, then acknowledges the replies behind it.
    private func acknowledge(_ acknowledgements: AcknowledgementQueue) async {
        while let items = await acknowledgements.next() {
            do {
                try await engine.log.waitDurable()
                let now = ContinuousClock.now
                for item in items {
                    item.entry.delivery.ack()
                    metrics.recordRelayLatency(now - item.entry.receivedAt - .milliseconds(item.waitedMs))
                }
            } catch {
                logger.error(
                    "Could not commit results; their messages stay unacknowledged",
                    metadata: ["results": "\(items.count)", "error": "\(error)"])
            }
            for _ in items { registry.finished() }
        }
    }

    /// Appends one batch of results to the log.
    private func append(_ batch: [CorrelationResult], acknowledgements: AcknowledgementQueue) async {
        var entries = batch.map { $0.token.flatMap(registry.take) }
        let refused = await deadLetterInvalidReplies(batch, entries)
        var results = batch
        // A redelivered reply whose record is already in the log only needs its ack.
        let recorded = Set(batch.indices.filter { batch[$0].alreadyRecorded })
        if !refused.isEmpty || !recorded.isEmpty {
            for _ in refused { registry.finished() }
            acknowledgements.append(
                contentsOf: recorded.compactMap {
                    entries[$0].map { PendingAcknowledgement(entry: $0, waitedMs: 0) }
                })
            let kept = batch.indices.filter { !refused.contains($0) && !recorded.contains($0) }
            results = kept.map { batch[$0] }
            entries = kept.map { entries[$0] }
        }
        let now = Timestamp.nowMilliseconds()
        var records: [ResultRecord] = []
        records.reserveCapacity(results.count)
        var pending: [PendingAcknowledgement] = []
        for (result, entry) in zip(results, entries) {
            records.append(RecordBuilder.record(for: result, entry: entry, now: now))
            if let entry {
                // A reply that waited for its request (or for the intake watermark) spent that
                // time by design: it is reported on its own, not as relay latency.
                let waited = max(result.resolvedAt - (result.replyReceivedAt ?? result.resolvedAt), 0)
                if waited > 0 { metrics.recordWait(milliseconds: waited) }
                pending.append(PendingAcknowledgement(entry: entry, waitedMs: waited))
            }
        }
        do {
            try await appender.append(records, confirming: results.map(\.id))
            acknowledgements.append(contentsOf: pending)
        } catch {
            logger.error(
                "Could not append results to the log; their messages stay unacknowledged",
                metadata: ["results": "\(results.count)", "error": "\(error)"])
            for _ in pending { registry.finished() }
        }
    }

    /// Republishes the batch's invalid replies to the dead-letter exchange, concurrently;
    /// returns the indices of those that could not be (they stay unacknowledged).
    private func deadLetterInvalidReplies(
        _ batch: [CorrelationResult], _ entries: [DeliveryRegistry.Entry?]
    ) async -> Set<Int> {
        let invalid = batch.indices.filter { batch[$0].outcome == .invalid && entries[$0] != nil }
        guard !invalid.isEmpty else { return [] }
        return await withTaskGroup(of: Int?.self) { group in
            for index in invalid {
                let (result, entry) = (batch[index], entries[index]!)
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
