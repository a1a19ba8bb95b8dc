import Synchronization

/// Whether this relay may still hand records to its sinks: a member that lost its lease emits
/// nothing.
///
/// The store's epoch fence keeps a stale member from *deciding*; this gate keeps it from
/// *emitting* what it decided before it lost the lease (results waiting in the sinks' lanes, a
/// retry loop of a failing sink). The lease driver opens it for an epoch until the lease's
/// local validity (monotonic milliseconds, ``LeaseStateMachine/validUntil``), moves it on at
/// every renewal, and closes it on a step-down. A member frozen past its lease (SIGSTOP, a VM
/// pause) finds the gate closed the moment it runs again, before its lease driver has even
/// noticed: the check reads the clock.
///
/// Records carry the epoch they were submitted under (``epoch``): a batch of an earlier term
/// that still waits in a lane when the same member wins the lease again is refused too; the
/// messages behind it were never acknowledged, so the new term decides and emits them again.
///
/// Without a lease (SQLite: one relay) the gate is always open, with no epoch.
final class EmissionGate: Sendable {
    private struct State {
        /// The epoch the gate is open for; nil without a lease.
        var epoch: Int64?
        /// Open until this monotonic millisecond; `Int64.max` without a lease, `Int64.min` closed.
        var openUntil: Int64
    }

    private let state: Mutex<State>

    /// A gate that never closes: the relay needs no lease.
    static func alwaysOpen() -> EmissionGate { EmissionGate(State(epoch: nil, openUntil: .max)) }
    /// A closed gate, for a member that must win its lease first.
    static func closed() -> EmissionGate { EmissionGate(State(epoch: nil, openUntil: .min)) }

    private init(_ state: State) {
        self.state = Mutex(state)
    }

    /// The epoch records submitted now belong to.
    var epoch: Int64? { state.withLock { $0.epoch } }

    /// Whether records submitted under `epoch` may be emitted now.
    func isOpen(for epoch: Int64?) -> Bool {
        let now = Timestamp.monotonicMilliseconds()
        return state.withLock { $0.epoch == epoch && now < $0.openUntil }
    }

    /// Whether records of the current epoch may be emitted now.
    var isOpen: Bool { isOpen(for: epoch) }

    /// Opens the gate for `epoch` until `validUntil` (monotonic ms), or closes it when nil.
    func open(epoch: Int64, until validUntil: Int64?) {
        state.withLock { $0 = State(epoch: epoch, openUntil: validUntil ?? .min) }
    }

    /// Closes the gate at once (the epoch stays: its batches are refused).
    func close() {
        state.withLock { $0.openUntil = .min }
    }
}

/// The refusal of a sink delivery while the gate is closed.
struct NotActiveError: Error, CustomStringConvertible {
    var description: String {
        "this relay is no longer its group's active member (its lease lapsed or it stepped down): records are not emitted"
    }
}
