import MTSCorrelation
import Synchronization

/// Where this relay stands in its group, and the engine of its current term: what the metrics
/// line, systemd's STATUS and the `/metrics` endpoint read.
///
/// With SQLite (one relay) it is `active` for the whole run, without an epoch. With PostgreSQL
/// the lease driver (``LeadershipService``) sets it: `standby` between terms, `active` with the
/// lease's epoch during one.
final class RelayRole: Sendable {
    /// This relay's part in its group.
    enum Role: String, Sendable {
        /// Consuming and deciding.
        case active
        /// Waiting for the lease; consumes nothing, decides nothing.
        case standby
    }

    /// What the metrics read: the role, the epoch while active, and the term's engine and
    /// deliveries (nil while standing by).
    struct Snapshot: Sendable {
        var role: Role
        var epoch: Int64?
        var engine: CorrelationEngine?
        var registry: DeliveryRegistry?
        /// Every consume loop of the term is up (systemd heard READY=1 for it).
        var consuming = false

        /// What `GET /ready` answers: consuming as the active relay, or standing by.
        var isReady: Bool { role == .standby || consuming }

        /// The role as systemd's status line shows it.
        var status: (name: String, epoch: Int64?) { (role.rawValue, epoch) }
    }

    private let state: Mutex<Snapshot>

    init(_ role: Role) {
        state = Mutex(Snapshot(role: role))
    }

    var snapshot: Snapshot { state.withLock { $0 } }

    /// A term began: its epoch (nil without a lease), engine and deliveries.
    func beginTerm(epoch: Int64?, engine: CorrelationEngine, registry: DeliveryRegistry) {
        state.withLock { $0 = Snapshot(role: .active, epoch: epoch, engine: engine, registry: registry) }
    }

    /// Every consume loop of the current term is up.
    func markConsuming() {
        state.withLock { if $0.role == .active { $0.consuming = true } }
    }

    /// The term ended: standing by, its engine dropped.
    func endTerm() {
        state.withLock { $0 = Snapshot(role: .standby) }
    }
}
