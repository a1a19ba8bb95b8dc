import Logging
import MTSCorrelation
import ServiceLifecycle

/// Takes an active upstream's engine results in batches, hands each record to the sinks
/// (concurrently within a batch) and confirms the delivered ones to the engine. Nothing is
/// acknowledged here: the upstream's messages were acked at registration, and its answers
/// stay in the store until confirmed.
///
/// Counts, for the metrics, every `timeout` of a request that was sent as an outcome unknown.
struct UpstreamResultLoop<Upstream: ActiveUpstream>: Service {
    let upstream: Upstream
    let engine: CorrelationEngine
    let dispatcher: ResultDispatcher
    let notes: UpstreamNotes
    let upstreamMetrics: UpstreamMetrics
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while let batch = await engine.results.next(max: 128) {
                let delivered = await withTaskGroup(of: CorrelationResult.ID?.self) { group in
                    for result in batch {
                        group.addTask { await deliver(result) ? result.id : nil }
                    }
                    var ids: [CorrelationResult.ID] = []
                    for await id in group { if let id { ids.append(id) } }
                    return ids
                }
                do {
                    try await engine.confirm(delivered)
                } catch {
                    logger.error(
                        "Could not confirm delivered \(upstream.name) results; they are made again after a restart",
                        metadata: ["results": "\(delivered.count)", "error": "\(error)"])
                }
            }
        }
    }

    private func deliver(_ result: CorrelationResult) async -> Bool {
        let note = result.outcome == .timeout ? result.correlationId.flatMap(notes.take) : nil
        let record = UpstreamRecordBuilder.record(
            for: result, upstream: upstream, note: note, now: Timestamp.nowMilliseconds())
        if record.outcome == .timeout, record.error?.hasPrefix(UpstreamRecordBuilder.outcomeUnknown) == true {
            upstreamMetrics.recordOutcomeUnknown()
        }
        do {
            try await dispatcher.dispatch(record)
            return true
        } catch {
            if !(error is CancellationError) {
                logger.error(
                    "Could not deliver a \(upstream.name) result",
                    metadata: ["correlationId": "\(result.correlationId ?? "-")", "error": "\(error)"])
            }
            // Keep the note: the record is made again after a restart.
            if let note, let id = result.correlationId { notes.set(id, note) }
            return false
        }
    }
}
