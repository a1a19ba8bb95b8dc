/// A destination for result records.
///
/// The pipeline knows sinks only through this protocol, as swift-log knows log backends
/// through `LogHandler`: stdout, file, HTTP and AMQP sinks implement it, and retrying is the
/// route's business (``SinkRoute``), the same for all of them. A sink decides what "accepted" means for
/// itself (written and fsynced, answered 2xx, confirmed by a broker); the pipeline
/// acknowledges a message only after every sink that selected its record has accepted it.
public protocol ResultSink: Sendable {
    /// The configured name, used in logs and metrics.
    var name: String { get }

    /// Hands over a batch of records and returns once every one of them is accepted.
    ///
    /// Called concurrently by several tasks; a sink may merge concurrent batches (one fsync
    /// or one request for many). Throws `SinkError` when the batch cannot be accepted: the
    /// caller retries retryable errors and never acknowledges what was not accepted.
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

    public init(
        outcome: ResultRecord.Outcome, operation: String?, json: [UInt8], correlationId: String? = nil
    ) {
        self.outcome = outcome
        self.operation = operation
        self.json = json
        self.correlationId = correlationId
    }

    public init(_ record: ResultRecord) {
        self.init(
            outcome: record.outcome, operation: record.operation, json: record.jsonBytes(),
            correlationId: record.correlationId)
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
