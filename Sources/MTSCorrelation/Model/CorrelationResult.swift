/// One decision of the engine, delivered on ``CorrelationEngine/results``.
///
/// Every registered request ends in exactly one `matched` or `timeout` result, and every reply
/// yields exactly one result — within one engine lifetime. Across a restart a result can be
/// produced again when it was not confirmed before the crash (see ``CorrelationEngine/confirm(_:)``);
/// ``redelivered`` and ``afterRecovery`` mark the results that may repeat one a sink already saw.
///
/// A class, not a struct: a result carries a dozen references (ids, bodies, names) and travels
/// through the engine's buffer, batches and tasks; copying a struct retained each of them at
/// every step (16 % of register + match in a perf profile of the engine), a class retains once.
/// Every property is a `let`, so sharing one is safe.
public final class CorrelationResult: Sendable {
    /// Identifies a result within one engine lifetime, for ``CorrelationEngine/confirm(_:)``.
    public struct ID: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The raw sequence number; starts at 1 for each engine instance.
        public let rawValue: UInt64

        /// Wraps a raw sequence number.
        public init(rawValue: UInt64) { self.rawValue = rawValue }

        public static func < (lhs: ID, rhs: ID) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String { "#\(rawValue)" }
    }

    /// This result's identity.
    public let id: ID
    /// What happened.
    public let outcome: CorrelationOutcome
    /// The correlation id, when one is known.
    public let correlationId: String?
    /// The request, when known. For `late` and `duplicate` results, and for a `matched` result
    /// re-emitted from a tombstone, the body is empty: the engine drops request bodies once a
    /// request is resolved (the sinks received it with the resolving result).
    public let request: CorrelationRequest?
    /// The request's deadline (`timestampUtc + timeout(operation)`, inclusive, ms since the Unix
    /// epoch), when the request is known: what the verdict was measured against.
    public let deadline: Int64?
    /// The reply, for every outcome but `timeout` and a rejected message.
    public let reply: CorrelationReply?
    /// The message the daemon found invalid, for `invalid` results of ``InvalidReason/validationFailed(_:)``.
    public let rejected: RejectedMessage?
    /// Why the result is `invalid`; nil otherwise.
    public let invalidReason: InvalidReason?
    /// When the engine decided, in ms since the Unix epoch (engine clock).
    public let resolvedAt: Int64
    /// When the reply reached the engine, in ms since the Unix epoch (engine clock).
    public let replyReceivedAt: Int64?
    /// True when the request was recovered from the store after a restart. A `timeout` so marked
    /// may repeat one emitted (but not confirmed) before the crash; a `matched` so marked and
    /// ``redelivered`` may repeat one too.
    public let afterRecovery: Bool
    /// What becomes durable when this result is confirmed (a `confirm` for `matched` and
    /// `timeout`; nil otherwise). ``CorrelationEngine`` handles it (and writes a decision it
    /// held back as a resolve that carries its confirm); a user of the bare
    /// ``CorrelationCore`` persists it when its sinks accepted the result.
    public var persistOnConfirm: PersistenceEffect? {
        needsConfirm ? correlationId.map { .confirm(correlationId: $0) } : nil
    }
    /// A redelivered reply whose `matched` record is already in the log of results (appended
    /// before a crash, or earlier in this run): acknowledge it, record nothing again.
    public let alreadyRecorded: Bool
    /// Stored as a flag: a `PersistenceEffect` is a large enum whose copies and destruction
    /// cost 10 % of firing a timeout (perf profile of the core).
    private let needsConfirm: Bool

    /// The daemon's token of the reply or rejected message, if any.
    public var token: UInt64? { reply?.token ?? rejected?.token }
    /// The broker's redelivered flag of the reply or rejected message; a redelivered input
    /// repeats its earlier outcome.
    public var redelivered: Bool { reply?.redelivered ?? rejected?.redelivered ?? false }
    /// The request's `timestampUtc`, if the request is known.
    public var requestTimestampUtc: Int64? { request?.timestampUtc }
    /// The reply's `timestampUtc`, if there is a reply.
    public var replyTimestampUtc: Int64? { reply?.timestampUtc }

    init(
        id: ID, outcome: CorrelationOutcome, correlationId: String?, request: CorrelationRequest?,
        deadline: Int64?, reply: CorrelationReply?, rejected: RejectedMessage? = nil,
        invalidReason: InvalidReason? = nil,
        resolvedAt: Int64, replyReceivedAt: Int64?, afterRecovery: Bool,
        needsConfirm: Bool = false, alreadyRecorded: Bool = false
    ) {
        self.id = id
        self.outcome = outcome
        self.correlationId = correlationId
        self.request = request
        self.deadline = deadline
        self.reply = reply
        self.rejected = rejected
        self.invalidReason = invalidReason
        self.resolvedAt = resolvedAt
        self.replyReceivedAt = replyReceivedAt
        self.afterRecovery = afterRecovery
        self.needsConfirm = needsConfirm
        self.alreadyRecorded = alreadyRecorded
    }
}
