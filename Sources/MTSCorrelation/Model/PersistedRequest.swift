/// A request as the store keeps it: outstanding, or a resolved tombstone kept for retention.
public struct PersistedRequest: Sendable, Hashable {
    /// Where a request stands.
    public enum State: Int64, Sendable, Hashable, CustomStringConvertible {
        /// Waiting for a reply.
        case outstanding = 0
        /// Matched; a tombstone until retention ends.
        case matched = 1
        /// Timed out; a tombstone until retention ends.
        case timedOut = 2

        public var description: String {
            switch self {
            case .outstanding: "outstanding"
            case .matched: "matched"
            case .timedOut: "timed out"
            }
        }
    }

    /// The request; for tombstones the body is empty.
    public var request: CorrelationRequest
    /// The stable 64-bit hash of the original body, to recognise a redelivered registration.
    public var bodyHash: UInt64
    /// The last instant (ms since the epoch, inclusive) at which a reply still matches.
    public var deadline: Int64
    /// Where the request stands.
    public var state: State
    /// When it was resolved (tombstones only).
    public var resolvedAt: Int64?
    /// The stable 64-bit hash of the matching reply's body (matched tombstones only).
    public var replyHash: UInt64?
    /// Whether the resolving result was confirmed (tombstones only). An unconfirmed tombstone
    /// keeps its request body; an unconfirmed timeout is emitted again after a restart.
    public var confirmed: Bool
    /// Whether the relay marked it sent to an active upstream (``PersistenceEffect/markSent(correlationId:)``);
    /// always false for requests read from an intake queue.
    public var sent: Bool
    /// The active upstream's answer, kept until the result is confirmed.
    public var answer: RecordedAnswer?

    /// Creates a stored-request value.
    public init(
        request: CorrelationRequest, bodyHash: UInt64, deadline: Int64, state: State,
        resolvedAt: Int64? = nil, replyHash: UInt64? = nil, confirmed: Bool = false, sent: Bool = false,
        answer: RecordedAnswer? = nil
    ) {
        self.sent = sent
        self.answer = answer
        self.request = request
        self.bodyHash = bodyHash
        self.deadline = deadline
        self.state = state
        self.resolvedAt = resolvedAt
        self.replyHash = replyHash
        self.confirmed = confirmed
    }
}
