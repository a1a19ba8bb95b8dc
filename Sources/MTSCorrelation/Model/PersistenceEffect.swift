/// A change the store must make durable; produced by ``CorrelationCore``.
public enum PersistenceEffect: Sendable, Hashable {
    /// A new outstanding request. Made durable before registration returns.
    case insert(PersistedRequest)
    /// A request became a tombstone. Made durable in the same transaction as its result's
    /// record or an earlier one; the request body stays in the store until the result is
    /// confirmed. `confirmed` says the confirm is written with it: the core never sets it; the
    /// engine does for a decision it writes with its record, and the store when a resolve and
    /// its confirm share a transaction (see ``folded(_:)``).
    case resolve(
        correlationId: String, state: PersistedRequest.State, resolvedAt: Int64, replyHash: UInt64?,
        confirmed: Bool = false)
    /// The resolving result's record is durable (in the log of results): the body is dropped,
    /// and a timeout is not emitted again after a restart. Made durable before ``CorrelationEngine/confirm(_:)`` returns.
    case confirm(correlationId: String)
    /// The request is about to be sent to an active upstream: it must never be sent again.
    /// Made durable before ``CorrelationEngine/markSent(_:)`` returns. Not produced by the core.
    case markSent(correlationId: String)
    /// An active upstream answered the request; kept until the result is confirmed. Written in
    /// the same or an earlier transaction than the decision it leads to. Not produced by the core.
    case recordAnswer(correlationId: String, answer: RecordedAnswer)
    /// Retention ended for every request resolved at or before `through` (ms since the Unix
    /// epoch): their rows go. By time, not by id, because tombstones in memory keep no ids. The
    /// engine writes a decision only with its record, and the core keeps `through` before any
    /// timeout recovered resolved but unrecorded, so no row whose record is still to come goes.
    /// Written lazily; recovery also drops expired tombstones.
    case purgeResolved(through: Int64)
}

extension PersistenceEffect {
    /// The request the effect is about; nil for a purge, which is about many.
    public var correlationId: String? {
        switch self {
        case .insert(let row): row.request.correlationId
        case .resolve(let id, _, _, _, _), .confirm(let id), .markSent(let id), .recordAnswer(let id, _): id
        case .purgeResolved: nil
        }
    }
}
