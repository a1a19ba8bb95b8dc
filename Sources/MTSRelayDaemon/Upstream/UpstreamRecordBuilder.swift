import MTSCorrelation
import MTSProtocol

/// Turns an active upstream's results into result records: the answer's body as `reply` (a
/// JSON string when the body is not JSON), its HTTP status as `httpStatus` (the engine carries
/// it as the reply's token), and in `error` why a `timeout` has no answer.
enum UpstreamRecordBuilder {
    /// The record of `result`, and what was read of its answer (each answer is read once).
    static func record(
        for result: CorrelationResult, upstream: some ActiveUpstream, note: UpstreamNote?, now: Int64
    ) -> (record: ResultRecord, answer: UpstreamAnswerSummary?) {
        let outcome = result.outcome
        let request = result.request
        let reply = result.reply
        let answer = reply.map {
            RecordedAnswer(status: Int(clamping: $0.token), body: $0.body, receivedAt: $0.timestampUtc)
        }
        let summary = answer.map(upstream.summarize)
        var error: String?
        switch outcome {
        case .matched: error = summary?.error
        case .timeout: error = note?.text ?? UpstreamNote.outcomeUnknownText
        case .late: error = "answered after the deadline" + (summary?.error.map { "; \($0)" } ?? "")
        default: error = result.invalidReason?.description ?? result.rejected?.reason
        }
        var latency: Int64?
        if outcome == .matched || outcome == .late, let requested = request?.timestampUtc, let reply {
            latency = reply.timestampUtc - requested
        }
        let record = ResultRecord(
            outcome: outcome,
            correlationId: result.correlationId,
            operation: request?.operation ?? upstream.operation,
            replyType: reply?.contentType,
            status: summary?.status,
            code: summary?.code,
            codeDescription: summary?.codeDescription,
            ticketId: summary?.ticketId,
            httpStatus: answer.map { Int64($0.status) },
            requestedAt: request?.timestampUtc,
            repliedAt: reply?.timestampUtc,
            deadlineAt: result.deadline,
            emittedAt: now,
            latencyMs: latency,
            queue: upstream.queue,
            redelivered: result.redelivered || result.afterRecovery,
            request: request.flatMap { $0.body.isEmpty ? nil : $0.body },
            reply: answer.flatMap { jsonBody($0.body, isJSON: summary?.bodyIsJSON ?? false) },
            error: error)
        return (record, summary)
    }

    /// The body as JSON to splice: itself when it is JSON, else a JSON string of its text; nil
    /// when empty.
    static func jsonBody(_ body: [UInt8], isJSON: Bool) -> [UInt8]? {
        guard !body.isEmpty else { return nil }
        if isJSON { return body }
        var bytes: [UInt8] = []
        JSONValue.appendString(String(decoding: body, as: UTF8.self), to: &bytes)
        return bytes
    }

    /// A record for a message of the upstream's queue that cannot be sent.
    static func invalidRequest(
        body: [UInt8], correlationId: String?, upstream: some ActiveUpstream, redelivered: Bool,
        reason: String, now: Int64
    ) -> ResultRecord {
        ResultRecord(
            outcome: .invalid, correlationId: correlationId, operation: upstream.operation, emittedAt: now,
            queue: upstream.queue, redelivered: redelivered,
            request: (try? JSONValue.parse(body))?.objectValue != nil ? body : nil, error: reason)
    }
}
