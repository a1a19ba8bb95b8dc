import MTSCorrelation
import MTSProtocol

/// Turns the engine's results (and invalid intake messages) into result records.
enum RecordBuilder {
    static func record(
        for result: CorrelationResult, entry: DeliveryRegistry.Entry?, now: Int64
    ) -> ResultRecord {
        let outcome = result.outcome
        let summary = entry?.summary
        let request = result.request
        let replyTimestamp = result.reply?.timestampUtc ?? summary?.timestampUtc
        var latency: Int64?
        if outcome == .matched || outcome == .late, let requested = request?.timestampUtc,
            let replied = replyTimestamp
        {
            latency = replied - requested
        }
        // A request body is empty when the engine already handed it out with the resolving
        // result (late, duplicate): null rather than an empty, invalid splice.
        let requestBody = request.flatMap { $0.body.isEmpty ? nil : $0.body }
        let replyBody: [UInt8]? =
            if let body = result.reply?.body ?? result.rejected?.body,
                entry?.isJSONObject ?? (result.reply != nil)
            {
                body
            } else {
                nil
            }
        var error: String?
        if outcome == .invalid {
            error = invalidReason(of: result)
        }
        return ResultRecord(
            outcome: outcome,
            correlationId: result.correlationId ?? summary?.correlationId,
            operation: request?.operation,
            replyType: result.reply?.contentType ?? summary?.contentType,
            status: summary?.status?.rawValue,
            code: summary?.code,
            codeDescription: summary?.codeDescription?.text,
            ticketId: summary?.ticketId ?? request?.ticketId,
            requestedAt: request?.timestampUtc,
            repliedAt: replyTimestamp,
            deadlineAt: result.deadline,
            emittedAt: now,
            latencyMs: latency,
            queue: entry?.queue,
            redelivered: result.redelivered || result.afterRecovery,
            request: requestBody,
            reply: replyBody,
            error: error)
    }

    /// Why a result is invalid, in the daemon's own words when the daemon rejected it.
    static func invalidReason(of result: CorrelationResult) -> String {
        result.rejected?.reason ?? result.invalidReason?.description ?? "invalid"
    }

    /// A record for an intake message that could not be registered.
    static func invalidRequest(
        body: [UInt8], isJSONObject: Bool, summary: MTSRequestSummary?, correlationId: String?, queue: String,
        redelivered: Bool, reason: String, now: Int64
    ) -> ResultRecord {
        ResultRecord(
            outcome: .invalid,
            correlationId: summary?.correlationId ?? correlationId,
            operation: summary?.operation,
            ticketId: summary?.ticketId,
            requestedAt: summary?.timestampUtc,
            emittedAt: now,
            queue: queue,
            redelivered: redelivered,
            request: isJSONObject ? body : nil,
            error: reason)
    }
}
