import MTSCorrelation

/// What mts-relay emits for every request and reply: one JSON object per result, written as
/// one line by the file and stdout sinks.
///
/// `request` and `reply` are the original messages' bytes, spliced in without re-encoding (only
/// white space between tokens is dropped, so a record stays on one line): every field they
/// had, known or not, reaches the sinks.
public struct ResultRecord: Sendable, Equatable {
    /// The six outcomes of correlation: the engine's.
    public typealias Outcome = CorrelationOutcome

    public var outcome: Outcome
    public var correlationId: String?
    /// The request's operation; nil without a request.
    public var operation: String?
    /// The reply's content type (`ticket-reply`, `error-reply`, ...).
    public var replyType: String?
    public var status: String?
    public var code: Int64?
    public var codeDescription: String?
    public var ticketId: String?
    /// The HTTP status of an active upstream's answer (jackpot records); null for MTS records.
    public var httpStatus: Int64?
    /// Milliseconds since the epoch: the request's `timestampUtc`.
    public var requestedAt: Int64?
    /// Milliseconds since the epoch: the reply's `timestampUtc`.
    public var repliedAt: Int64?
    /// Milliseconds since the epoch: the request's deadline (`requestedAt` plus the operation's
    /// timeout, inclusive), against which the reply's `repliedAt` was judged.
    public var deadlineAt: Int64?
    /// Milliseconds since the epoch: when mts-relay produced this record.
    public var emittedAt: Int64
    /// Reply time minus request time, for `matched` and `late`.
    public var latencyMs: Int64?
    /// The queue the reply (or, for invalid requests, the request) came from.
    public var queue: String?
    public var redelivered: Bool
    /// The relay that decided (`ha.node`); set by ``ResultAppender`` on every record.
    public var node: String?
    /// The original request JSON, or nil.
    public var request: [UInt8]?
    /// The original reply JSON, or nil (also when the reply was not JSON at all).
    public var reply: [UInt8]?
    /// Why the message is invalid; only for `invalid`.
    public var error: String?

    public init(
        outcome: Outcome, correlationId: String?, operation: String? = nil, replyType: String? = nil,
        status: String? = nil, code: Int64? = nil, codeDescription: String? = nil, ticketId: String? = nil,
        httpStatus: Int64? = nil,
        requestedAt: Int64? = nil, repliedAt: Int64? = nil, deadlineAt: Int64? = nil, emittedAt: Int64,
        latencyMs: Int64? = nil,
        queue: String? = nil, redelivered: Bool = false, request: [UInt8]? = nil, reply: [UInt8]? = nil,
        error: String? = nil
    ) {
        self.outcome = outcome
        self.correlationId = correlationId
        self.operation = operation
        self.replyType = replyType
        self.status = status
        self.code = code
        self.codeDescription = codeDescription
        self.ticketId = ticketId
        self.httpStatus = httpStatus
        self.requestedAt = requestedAt
        self.repliedAt = repliedAt
        self.deadlineAt = deadlineAt
        self.emittedAt = emittedAt
        self.latencyMs = latencyMs
        self.queue = queue
        self.redelivered = redelivered
        self.request = request
        self.reply = reply
        self.error = error
    }

    /// The record as one line of compact JSON, without the newline. Every field is present,
    /// null when it does not apply; times are ISO-8601 UTC with milliseconds.
    public func jsonBytes() -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + (request?.count ?? 0) + (reply?.count ?? 0))
        writer.beginObject()
        writer.key("outcome")
        writer.string(outcome.rawValue)
        writer.key("correlationId")
        writer.string(correlationId)
        writer.key("operation")
        writer.string(operation)
        writer.key("replyType")
        writer.string(replyType)
        writer.key("status")
        writer.string(status)
        writer.key("code")
        writer.int(code)
        writer.key("codeDescription")
        writer.string(codeDescription)
        writer.key("ticketId")
        writer.string(ticketId)
        writer.key("httpStatus")
        writer.int(httpStatus)
        writer.key("requestedAt")
        writer.timestamp(requestedAt)
        writer.key("repliedAt")
        writer.timestamp(repliedAt)
        writer.key("deadlineAt")
        writer.timestamp(deadlineAt)
        writer.key("emittedAt")
        writer.timestamp(emittedAt)
        writer.key("latencyMs")
        writer.int(latencyMs)
        writer.key("queue")
        writer.string(queue)
        writer.key("redelivered")
        writer.bool(redelivered)
        writer.key("node")
        writer.string(node)
        writer.key("request")
        if let request { writer.rawJSON(request) } else { writer.null() }
        writer.key("reply")
        if let reply { writer.rawJSON(reply) } else { writer.null() }
        writer.key("error")
        writer.string(error)
        writer.endObject()
        return writer.bytes
    }
}
