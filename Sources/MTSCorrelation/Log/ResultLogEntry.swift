/// One result record in the durable log of results: what the sinks read, each from its own
/// cursor.
public struct ResultLogEntry: Sendable, Equatable {
    /// The record's position in its log, increasing with every append (gaps are possible).
    public var seq: Int64
    /// When the transaction that appended it started, in milliseconds since the epoch.
    public var appendedAt: Int64
    /// What the sinks' filters select on.
    public var outcome: String
    public var operation: String?
    /// For sinks that carry it outside the body (an AMQP property).
    public var correlationId: String?
    /// The record as one line of compact JSON (an object), without `seq` and `replayed`, which
    /// are written in front of it as it is delivered.
    public var json: [UInt8]

    public init(
        seq: Int64, appendedAt: Int64, outcome: String, operation: String?, correlationId: String?,
        json: [UInt8]
    ) {
        self.seq = seq
        self.appendedAt = appendedAt
        self.outcome = outcome
        self.operation = operation
        self.correlationId = correlationId
        self.json = json
    }
}

/// A record to append: an entry before the store gave it its position and time.
public struct ResultLogDraft: Sendable, Equatable {
    public var outcome: String
    public var operation: String?
    public var correlationId: String?
    public var json: [UInt8]

    /// U+0000 in `operation` or `correlationId` (an invalid message's) becomes U+FFFD: the
    /// columns are text, and PostgreSQL's text refuses it. The record itself keeps the value
    /// (escaped in its JSON).
    public init(outcome: String, operation: String?, correlationId: String?, json: [UInt8]) {
        self.outcome = outcome
        self.operation = operation.map(Self.storable)
        self.correlationId = correlationId.map(Self.storable)
        self.json = json
    }

    static func storable(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    }

    func entry(seq: Int64, appendedAt: Int64) -> ResultLogEntry {
        ResultLogEntry(
            seq: seq, appendedAt: appendedAt, outcome: outcome, operation: operation,
            correlationId: correlationId, json: json)
    }
}
