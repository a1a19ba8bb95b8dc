import MTSCorrelation

/// A destination for result records.
///
/// The pipeline knows sinks only through this protocol, as swift-log knows log backends
/// through `LogHandler`: stdout, file, HTTP and AMQP sinks implement it, and retrying is the
/// route's business (``SinkRoute``), the same for all of them. A sink decides what "accepted"
/// means for itself (written and fsynced, answered 2xx, confirmed by a broker); its reader
/// (``SinkReader``) moves the sink's cursor in the log of results past what it accepted.
public protocol ResultSink: Sendable {
    /// The configured name, used in logs and metrics.
    var name: String { get }

    /// Hands over a batch of records and returns once every one of them is accepted.
    ///
    /// Called by one reader at a time, in the log's order. Throws `SinkError` when the batch
    /// cannot be accepted: the caller retries retryable errors and never moves the cursor
    /// past what was not accepted.
    func write(_ records: [SinkRecord]) async throws

    /// The sink's background work (connections, reopening files), until the task is
    /// cancelled. Sinks without any return at once.
    func run() async throws
}

extension ResultSink {
    public func run() async throws {}
}

/// A record as the sinks receive it: its encoded line plus what routing filters on.
public struct SinkRecord: Sendable, Equatable {
    public var outcome: ResultRecord.Outcome
    public var operation: String?
    /// The record's correlation id, for sinks that carry it outside the body (AMQP property).
    public var correlationId: String?
    /// One line of compact JSON, without the newline.
    public var json: [UInt8]
    /// What identifies the record for a receiver that drops repeats: `<log>:<seq>` (the http
    /// sink's `Idempotency-Key`, the amqp sink's `message_id`). The same on every repeat.
    public var key: String?

    public init(
        outcome: ResultRecord.Outcome, operation: String?, json: [UInt8], correlationId: String? = nil,
        key: String? = nil
    ) {
        self.outcome = outcome
        self.operation = operation
        self.json = json
        self.correlationId = correlationId
        self.key = key
    }

    public init(_ record: ResultRecord) {
        self.init(
            outcome: record.outcome, operation: record.operation, json: record.jsonBytes(),
            correlationId: record.correlationId)
    }

    /// The record of a log entry, as delivered: `seq` and `replayed` written first.
    init(entry: ResultLogEntry, log: String, replayed: Bool) {
        var json: [UInt8] = []
        json.reserveCapacity(entry.json.count + 40)
        json += #"{"seq":"#.utf8
        json += String(entry.seq).utf8
        json += (replayed ? #","replayed":true"# : #","replayed":false"#).utf8
        // The stored record is an object: `{}` or `{"outcome":...}`.
        if entry.json.count > 2 { json.append(UInt8(ascii: ",")) }
        json += entry.json.dropFirst()
        self.init(
            outcome: ResultRecord.Outcome(rawValue: entry.outcome) ?? .invalid, operation: entry.operation,
            json: json, correlationId: entry.correlationId, key: "\(log):\(entry.seq)")
    }
}

/// Why a sink did not accept a batch.
public struct SinkError: Error, Sendable, CustomStringConvertible {
    /// Whether trying the same batch again may succeed (a full disk, a 503, a lost
    /// connection) or never will (a 400).
    public var isRetryable: Bool
    public var sink: String
    public var reason: String
    /// A server's Retry-After, when it gave one.
    public var retryAfter: Duration?

    public init(sink: String, reason: String, isRetryable: Bool = true, retryAfter: Duration? = nil) {
        self.sink = sink
        self.reason = reason
        self.isRetryable = isRetryable
        self.retryAfter = retryAfter
    }

    public var description: String { "sink \(sink): \(reason)" }
}
