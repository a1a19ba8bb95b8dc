/// One member's view of its group's lease: when to try to take it, when to renew it, when it
/// is no longer safe to act on it. Pure: no clock, no IO. A driver feeds it events (the time,
/// and the outcomes of the lease IO it was told to do) and carries out the actions it returns.
///
/// ## Timing
/// Times are the member's own monotonic milliseconds; the lease's expiry lives in the database,
/// by the database's clock (``PostgresLease``). A renewal sent at local time `s` makes the
/// database's expiry at least `s + leaseMs` (the database applies it at or after `s`), so the
/// member counts its lease valid until `s + leaseMs - safetyMarginMs` and steps down then if no
/// renewal has succeeded since. It renews every ``renewInterval`` (a quarter of the lease), so a
/// lease survives three lost renewals. A standby tries to take the lease every ``pollInterval`` (a tenth of the lease);
/// the database grants it only once the holder's lease has expired by its clock.
///
/// ## Stepping down
/// The active member steps down at once when a renewal is refused (another member took the
/// lease), when a store write is refused by the epoch fence, or when its lease runs out without
/// a successful renewal (the database cannot be reached): ``Action/stepDown(epoch:reason:)``.
/// Whatever it does late is refused by the fence anyway: the lease only says who *may* act.
public struct LeaseStateMachine: Sendable, Hashable {
    /// Where the member stands.
    public enum Role: Sendable, Hashable {
        /// Not active; will try to take the lease at `nextAttemptAt`.
        case standby(nextAttemptAt: Int64)
        /// A take-over attempt sent at `sentAt` waits for its outcome.
        case acquiring(sentAt: Int64)
        /// Active with `epoch` until `validUntil`; a renewal is due at `renewAt`, or one sent at
        /// `renewSentAt` waits for its outcome.
        case active(epoch: Int64, validUntil: Int64, renewAt: Int64, renewSentAt: Int64?)
    }

    /// What happened.
    public enum Event: Sendable, Hashable {
        /// Time passed: the member's monotonic clock reads `now`.
        case tick(now: Int64)
        /// The take-over attempt succeeded: the database granted `epoch`.
        case acquired(epoch: Int64, now: Int64)
        /// The take-over attempt found the lease held by another member.
        case held(now: Int64)
        /// The renewal succeeded.
        case renewed(now: Int64)
        /// The renewal was refused: the lease has another epoch (another member took it).
        case renewalRefused(now: Int64)
        /// The lease IO failed (the database cannot be reached, ...); retried at the next tick.
        case ioFailed(now: Int64)
        /// A store write was refused by the epoch fence.
        case fenced(now: Int64)
        /// The member gave up acting while its lease held: its pipeline failed (the store
        /// cannot write, ...). It steps down; it may take the lease again once it is free.
        case abandoned(now: Int64)
    }

    /// Why a member stepped down.
    public enum StepDownReason: String, Sendable, Hashable {
        /// Another member took the lease (a renewal was refused).
        case lost
        /// A store write carried an epoch that is no longer current.
        case fenced
        /// No renewal succeeded before the lease ran out.
        case expired
        /// The member's own pipeline failed (``Event/abandoned(now:)``).
        case failed
    }

    /// What the driver must do.
    public enum Action: Sendable, Hashable {
        /// Nothing.
        case none
        /// Try to take the lease (``PostgresLease/tryAcquire(leaseMs:)``), then report
        /// ``Event/acquired(epoch:now:)``, ``Event/held(now:)`` or ``Event/ioFailed(now:)``.
        case tryAcquire
        /// Renew the lease of `epoch`, then report ``Event/renewed(now:)``,
        /// ``Event/renewalRefused(now:)`` or ``Event/ioFailed(now:)``.
        case renew(epoch: Int64)
        /// Become active with `epoch`: load the table, stamp every store write with `epoch`,
        /// consume.
        case becomeActive(epoch: Int64)
        /// Stop acting at once: stop consuming, emit nothing more, drop the table, close the
        /// broker connections.
        case stepDown(epoch: Int64, reason: StepDownReason)
    }

    /// How long a lease lasts without renewal (ms).
    public let leaseMs: Int64
    /// Subtracted from the lease's local validity, for clock rate differences and scheduling.
    public let safetyMarginMs: Int64
    /// Where the member stands.
    public private(set) var role: Role
    /// How many attempts to take the lease failed in a row (the database unreachable, or its
    /// certificate refused): the next one waits longer, up to a lease.
    public private(set) var failedAttempts = 0

    /// A standby member that makes its first attempt at `now`.
    public init(leaseMs: Int64, now: Int64) {
        precondition(leaseMs >= 4, "a lease of \(leaseMs) ms cannot be renewed several times")
        self.leaseMs = leaseMs
        safetyMarginMs = leaseMs / 10
        role = .standby(nextAttemptAt: now)
    }

    /// How often the active member renews: several times within a lease.
    public var renewInterval: Int64 { leaseMs / 4 }
    /// How often a standby member tries to take the lease: a tenth of the lease (one cheap
    /// statement), so that a takeover waits little past the lease's expiry.
    public var pollInterval: Int64 { max(leaseMs / 10, 1) }

    /// How long a standby waits after ``failedAttempts`` failures in a row: the poll interval,
    /// doubled at each further failure, at most a lease (a database that answers again is
    /// tried within a lease; a refusal is not repeated ten times a second).
    public var retryDelay: Int64 {
        let doublings = Int64(min(max(failedAttempts - 1, 0), 20))
        return min(pollInterval << doublings, max(leaseMs, pollInterval))
    }

    /// The epoch while active, else nil.
    public var activeEpoch: Int64? {
        if case .active(let epoch, _, _, _) = role { return epoch }
        return nil
    }

    /// Until when (the member's monotonic ms) the lease may be acted on while active, else nil.
    public var validUntil: Int64? {
        if case .active(_, let validUntil, _, _) = role { return validUntil }
        return nil
    }

    /// The next time the driver should send ``Event/tick(now:)`` (nil while an IO is awaited).
    public var nextTick: Int64? {
        switch role {
        case .standby(let next): next
        case .acquiring: nil
        case .active(_, let validUntil, let renewAt, let renewSentAt):
            renewSentAt == nil ? min(renewAt, validUntil) : validUntil
        }
    }

    /// Applies `event`; returns what to do.
    public mutating func event(_ event: Event) -> Action {
        switch (role, event) {
        case (.standby(let next), .tick(let now)):
            guard now >= next else { return .none }
            role = .acquiring(sentAt: now)
            return .tryAcquire
        case (.acquiring(let sentAt), .acquired(let epoch, _)):
            failedAttempts = 0
            role = .active(
                epoch: epoch, validUntil: sentAt + leaseMs - safetyMarginMs, renewAt: sentAt + renewInterval,
                renewSentAt: nil)
            return .becomeActive(epoch: epoch)
        case (.acquiring, .held(let now)):
            failedAttempts = 0
            role = .standby(nextAttemptAt: now + pollInterval)
            return .none
        case (.acquiring, .ioFailed(let now)):
            failedAttempts += 1
            role = .standby(nextAttemptAt: now + retryDelay)
            return .none
        case (.active(let epoch, let validUntil, let renewAt, let sent), .tick(let now)):
            if now >= validUntil { return stepDown(epoch, .expired, now: now) }
            guard sent == nil, now >= renewAt else { return .none }
            role = .active(epoch: epoch, validUntil: validUntil, renewAt: renewAt, renewSentAt: now)
            return .renew(epoch: epoch)
        case (.active(let epoch, let validUntil, _, let sent?), .renewed(let now)):
            let extended = max(validUntil, sent + leaseMs - safetyMarginMs)
            // An answer that took longer than the lease: the lease may have lapsed meanwhile.
            if now >= extended { return stepDown(epoch, .expired, now: now) }
            role = .active(
                epoch: epoch, validUntil: extended, renewAt: sent + renewInterval, renewSentAt: nil)
            return .none
        case (.active(let epoch, _, _, _), .renewalRefused(let now)):
            return stepDown(epoch, .lost, now: now)
        case (.active(let epoch, _, _, _), .fenced(let now)):
            return stepDown(epoch, .fenced, now: now)
        case (.active(let epoch, _, _, _), .abandoned(let now)):
            return stepDown(epoch, .failed, now: now)
        case (.active(let epoch, let validUntil, _, _), .ioFailed(let now)):
            if now >= validUntil { return stepDown(epoch, .expired, now: now) }
            // Retry soon, while the lease is still valid.
            role = .active(
                epoch: epoch, validUntil: validUntil, renewAt: now + max(1, renewInterval / 4),
                renewSentAt: nil)
            return .none
        default:
            // An outcome that answers nothing asked (a late one after a step-down), or a tick
            // while an IO is awaited: nothing changes.
            return .none
        }
    }

    private mutating func stepDown(_ epoch: Int64, _ reason: StepDownReason, now: Int64) -> Action {
        role = .standby(nextAttemptAt: now + pollInterval)
        return .stepDown(epoch: epoch, reason: reason)
    }
}
