import Logging
import MTSCorrelation
import ServiceLifecycle

/// Takes the engine's results in batches and, for each result, in a task of its own:
/// dead-letters an invalid reply, builds the record and hands it to the sinks. A confirmer
/// then confirms the delivered results to the engine in batches (whatever accumulated while the
/// previous confirm ran) and acknowledges their replies' deliveries — in that order, so that
/// nothing is acknowledged before it is safe.
///
/// At most `concurrency` results are with the sinks at once, each on its own, so a result held
/// up by a failing sink holds up no other. While they are all held up the loop takes no more
/// results: the engine's bounded result buffer fills, its timer loop stops firing timeouts,
/// and the reply deliveries stay unacknowledged, bounded by the prefetch. Everything resumes
/// when the sinks accept again.
struct ResultLoop: Service {
    let engine: CorrelationEngine
    let registry: DeliveryRegistry
    let dispatcher: ResultDispatcher
    let metrics: RelayMetrics
    let logger: Logger
    var concurrency = 512

    func run() async throws {
        let limiter = AsyncLimiter(limit: concurrency)
        let confirmations = ConfirmationQueue()
        await withDiscardingTaskGroup { group in
            // The confirmer outlives the loop below until every delivered result is confirmed.
            group.addTask { await confirm(confirmations) }
            // Ends when the engine's buffer finishes (engine shut down) or on graceful shutdown.
            await cancelWhenGracefulShutdown {
                await withDiscardingTaskGroup { deliveries in
                    while let batch = await engine.results.next(max: 128) {
                        for result in batch {
                            await limiter.acquire()
                            deliveries.addTask {
                                let entry = result.token.flatMap(registry.take)
                                if await deliver(result, entry: entry) {
                                    confirmations.append(.init(id: result.id, entry: entry))
                                } else if entry != nil {
                                    registry.finished()
                                }
                                limiter.release()
                            }
                        }
                    }
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

    /// Hands one result to the sinks; returns whether every sink accepted it.
    private func deliver(_ result: CorrelationResult, entry: DeliveryRegistry.Entry?) async -> Bool {
        do {
            if result.outcome == .invalid, let entry {
                let reason = RecordBuilder.invalidReason(of: result)
                try await entry.deadLetter.publish(entry.delivery, queue: entry.queue, reason: reason)
            }
            let record = RecordBuilder.record(for: result, entry: entry, now: Timestamp.nowMilliseconds())
            try await dispatcher.dispatch(record)
            if let entry {
                // A reply that waited for its request (or for the intake watermark) spent that
                // time by design: it is reported on its own, not as relay latency.
                let waited = max(result.resolvedAt - (result.replyReceivedAt ?? result.resolvedAt), 0)
                if waited > 0 { metrics.recordWait(milliseconds: waited) }
                metrics.recordRelayLatency(.now - entry.receivedAt - .milliseconds(waited))
            }
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
