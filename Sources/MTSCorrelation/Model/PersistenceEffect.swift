/// A change the store must make durable; produced by ``CorrelationCore``.
public enum PersistenceEffect: Sendable, Hashable {
    /// A new outstanding request. Made durable before registration returns.
    case insert(PersistedRequest)
    /// A request became a tombstone. Made durable when its result is confirmed.
    case resolve(correlationId: String, state: PersistedRequest.State, resolvedAt: Int64, replyHash: UInt64?)
    /// A tombstone's retention ended. Written lazily; recovery also drops expired tombstones.
    case purge(correlationId: String)
}
