import Logging
import MTSCorrelation
import ServiceLifecycle

/// Takes an active upstream's engine results in batches and appends each batch's records to
/// that engine's log of results, confirming the results in the same transaction. Nothing is
/// acknowledged here: the upstream's messages were acked at registration, and its answers
/// stay in the store until confirmed (a batch that is not committed is made again after a
/// restart). The sinks read the log like the MTS one (``SinkReaders``).
///
/// Counts, for the metrics, every `timeout` of a request that was sent as an outcome unknown.
struct UpstreamResultLoop<Upstream: ActiveUpstream>: Service {
    let upstream: Upstream
    let engine: CorrelationEngine
    let appender: ResultAppender
    let backlog: SinkBacklog
    let notes: UpstreamNotes
    let upstreamMetrics: UpstreamMetrics
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while await backlog.waitWhileRequiredSinkBehind(),
                let batch = await engine.results.next(max: ResultLoop.batchSize)
            {
                await deliver(batch)
            }
        }
    }

    private func deliver(_ batch: [CorrelationResult]) async {
        let now = Timestamp.nowMilliseconds()
        var notesTaken: [(String, UpstreamNote)] = []
        let records = batch.map { result in
            let note = result.outcome == .timeout ? result.correlationId.flatMap(notes.take) : nil
            if let note, let id = result.correlationId { notesTaken.append((id, note)) }
            if result.outcome == .timeout, note == nil || note?.kind == .outcomeUnknown {
                upstreamMetrics.recordOutcomeUnknown()
            }
            let (record, answer) = UpstreamRecordBuilder.record(
                for: result, upstream: upstream, note: note, now: now)
            if result.outcome == .matched, let problem = answer?.error {
                logger.warning(
                    "Answer breaks the API's rules; recorded as it is",
                    metadata: [
                        "upstream": "\(upstream.name)", "correlationId": "\(result.correlationId ?? "-")",
                        "problem": "\(problem)",
                    ])
            }
            return record
        }
        do {
            try await appender.appendDurably(records, confirming: batch.map(\.id))
        } catch {
            if !(error is CancellationError) {
                logger.error(
                    "Could not record \(upstream.name) results; they are made again after a restart",
                    metadata: ["results": "\(batch.count)", "error": "\(error)"])
            }
            // Keep the notes: the records are made again after a restart.
            for (id, note) in notesTaken { notes.set(id, note) }
        }
    }
}
