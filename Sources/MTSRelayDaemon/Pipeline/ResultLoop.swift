import Logging
import MTSCorrelation
import ServiceLifecycle

/// Takes the engine's results in order and, for each: dead-letters an invalid reply,
/// builds the record, hands it to the sinks, confirms it to the engine, and acknowledges the
/// reply's delivery — in that order, so that nothing is acknowledged before it is safe.
///
/// Results are handled concurrently (the sinks merge concurrent writes), at most
/// `concurrency` at a time.
struct ResultLoop: Service {
    let engine: CorrelationEngine
    let registry: DeliveryRegistry
    let dispatcher: ResultDispatcher
    let metrics: RelayMetrics
    let logger: Logger
    var concurrency = 512

    func run() async throws {
        let limiter = AsyncLimiter(limit: concurrency)
        // Ends when the engine's stream finishes (engine shut down) or on graceful shutdown.
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for await result in engine.results {
                    await limiter.acquire()
                    group.addTask {
                        await handle(result)
                        limiter.release()
                    }
                }
            }
        }
    }

    private func handle(_ result: CorrelationResult) async {
        let entry = result.token.flatMap(registry.take)
        defer { if entry != nil { registry.finished() } }
        do {
            if result.outcome == .invalid, let entry {
                let reason = RecordBuilder.invalidReason(of: result)
                try await entry.deadLetter.publish(entry.delivery, queue: entry.queue, reason: reason)
            }
            let record = RecordBuilder.record(for: result, entry: entry, now: Timestamp.nowMilliseconds())
            try await dispatcher.dispatch(record)
            if let entry { metrics.recordRelayLatency(.now - entry.receivedAt) }
            try await engine.confirm([result.id])
            entry?.delivery.ack()
        } catch is CancellationError {
            // Shutting down: unacknowledged, so the broker delivers it again after the restart.
        } catch {
            logger.error(
                "Could not deliver a result; its message stays unacknowledged",
                metadata: ["correlationId": "\(result.correlationId ?? "-")", "error": "\(error)"])
        }
    }
}
