import Synchronization

/// The epoch a relay's PostgreSQL store writes carry (the fence of a group's lease).
///
/// Give the same fence to the engine (``CorrelationEngine/init(configuration:clock:store:fence:)``)
/// and to the lease driver: it sets the epoch on ``LeaseStateMachine/Action/becomeActive(epoch:)``
/// and clears it on a step-down. Every batch transaction then first locks the group's lease row
/// `FOR SHARE` where it still has that epoch, and rolls back with
/// ``CorrelationStoreError/fenced(path:epoch:)`` when it has another (a take-over, which needs the
/// row exclusively, waits for the batch's commit, and every later batch of the old epoch is
/// refused). Without an epoch every write is refused: a member that is not active decides
/// nothing.
public final class StoreFence: Sendable {
    private let current = Mutex<Int64?>(nil)
    /// The group whose lease row fences the writes; nil for the store's own group. A relay's
    /// second store (the jackpot side's, group `<ha.group>.jackpot`) is fenced by the relay's
    /// one lease.
    public let leaseGroup: String?
    /// The lease's length, in ms (`ha.leaseMs`).
    public let leaseMs: Int64

    /// A fence with no epoch: every write is refused until ``activate(epoch:)``.
    ///
    /// - Parameters:
    ///   - leaseGroup: the group whose lease row fences the writes; nil for the store's own.
    ///   - leaseMs: the lease's length (`ha.leaseMs`), which bounds how long a fenced
    ///     transaction may sit idle (``idleInTransactionTimeoutMs``).
    public init(leaseGroup: String? = nil, leaseMs: Int64) {
        self.leaseGroup = leaseGroup
        self.leaseMs = leaseMs
    }

    /// How long a fenced store connection may sit inside a transaction before the database
    /// ends its session: half the lease. Such a transaction holds the lease row `FOR SHARE`,
    /// which a take-over must wait for; a member frozen mid-batch would otherwise block the
    /// group for as long as it stays frozen (its TCP connection stays up).
    public var idleInTransactionTimeoutMs: Int64 { leaseMs / 2 }

    /// The epoch writes carry, or nil while the member is not active.
    public var epoch: Int64? { current.withLock { $0 } }

    /// Stamps later writes with `epoch`.
    public func activate(epoch: Int64) { current.withLock { $0 = epoch } }

    /// Refuses every later write.
    public func deactivate() { current.withLock { $0 = nil } }
}
