import Logging
import MTSCorrelation
import ServiceLifecycle

/// Runs this relay as a member of its group: standby until it wins the group's
/// lease, then active for one term, and standby again when it loses it.
///
/// The decisions are ``LeaseStateMachine``'s; this service only does their IO and runs the
/// term:
/// - **Standby**: tries to take the lease every tenth of a lease (``LeaseClient``, the database's
///   clock). Consumes nothing; beats the systemd watchdog itself.
/// - **Becoming active** with a new epoch: stamps the ``StoreFence`` with it, opens the
///   ``EmissionGate`` until the lease's local validity, and builds the term
///   (``DecidingServices/makeTerm(fence:role:)``: the engines load the outstanding table and
///   the tombstones, then the consumers take the queues exclusively). Meanwhile it renews the
///   lease four times per lease, moving the gate on at each renewal.
/// - **Stepping down**, when a renewal is refused, the lease runs out unrenewed, or the term
///   fails (a store write refused by the fence, a database gone): closes the gate and the fence
///   first, so nothing more is emitted or written, then cancels the term: the consumers close
///   their broker connections (unacknowledged deliveries return to the queues) and the table
///   is dropped. After a failure it releases the lease, so that either member can take it at
///   once when the database allows.
///
/// On graceful shutdown while active the term drains as the daemon does (consumers first),
/// the lease still renewed; then the lease is released, so that a standby takes over at once.
struct LeadershipService: Service {
    let lease: LeaseClient
    /// Carries the lease's length (`ha.leaseMs`) as well as the epoch.
    let fence: StoreFence
    let gate: EmissionGate
    let role: RelayRole
    let deciding: DecidingServices
    let watchdog: ConsumeLoopWatchdog
    let notifier: SystemdNotifier?
    let logger: Logger

    private var leaseMs: Int64 { fence.leaseMs }
    private var metadata: Logger.Metadata { ["group": "\(lease.group)", "node": "\(lease.node)"] }

    func run() async throws {
        var machine = LeaseStateMachine(leaseMs: leaseMs, now: Timestamp.monotonicMilliseconds())
        // A standby is up and doing its job: systemd hears READY=1 now, not at the first term.
        notifier?.ready(status: standbyStatus)
        let failures = LogLimiter(interval: .seconds(10))
        defer { lease.close() }
        while true {
            logger.notice("mts-relay is standing by: waiting for the group's lease", metadata: metadata)
            notifier?.status(standbyStatus)
            guard let epoch = await standBy(&machine, failures: failures) else { break }
            machine = try await serve(epoch: epoch, machine: machine)
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
        }
    }

    private var standbyStatus: String {
        SystemdNotifier.statusLine(role: role.snapshot.status, pending: 0, matchedPerSecond: 0, sinks: [])
    }

    // MARK: Standby

    /// Polls the lease until this member wins it (its epoch), or nil on shutdown.
    private func standBy(_ machine: inout LeaseStateMachine, failures: LogLimiter) async -> Int64? {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            watchdog.beatStandby()
            let now = Timestamp.monotonicMilliseconds()
            let wait = (machine.nextTick ?? now) - now
            if wait > 0 {
                // At most a second at a time: the watchdog wants a beat.
                do {
                    try await cancelWhenGracefulShutdown {
                        try await Task.sleep(for: .milliseconds(min(wait, 1_000)))
                    }
                } catch {
                    return nil
                }
                continue
            }
            guard machine.event(.tick(now: now)) == .tryAcquire else { continue }
            let event: LeaseStateMachine.Event
            do {
                let epoch = try await lease.tryAcquire(leaseMs: leaseMs, timeout: .milliseconds(leaseMs / 2))
                let now = Timestamp.monotonicMilliseconds()
                event = epoch.map { .acquired(epoch: $0, now: now) } ?? .held(now: now)
            } catch {
                if let suppressed = failures.shouldLog() {
                    logger.error(
                        "Cannot reach the lease's database; standing by and retrying",
                        metadata: metadata.merging(
                            ["error": "\(error)", "suppressedSinceLast": "\(suppressed)"]) { $1 })
                }
                event = .ioFailed(now: Timestamp.monotonicMilliseconds())
            }
            if case .becomeActive(let epoch) = machine.event(event) { return epoch }
        }
        return nil
    }

    // MARK: Active

    /// How a term ended: the term's own end (shutdown or failure), or the lease's.
    private enum TermEnd: Sendable {
        case term((any Error)?)
        case lease(LeaseStateMachine, LeaseStateMachine.StepDownReason?)
    }

    /// Runs one term with `epoch` until it ends; returns the machine, standing by again.
    ///
    /// - Throws: what no new term would cure (``ReconnectingConnection/FatalError``: the
    ///   broker's queues conflict with the configuration), after releasing the lease; the
    ///   daemon stops with it, as a single relay does.
    private func serve(epoch: Int64, machine start: LeaseStateMachine) async throws -> LeaseStateMachine {
        fence.activate(epoch: epoch)
        gate.open(epoch: epoch, until: start.validUntil)
        logger.notice(
            "Took the group's lease: active", metadata: metadata.merging(["epoch": "\(epoch)"]) { $1 })
        var machine = start
        var lost: LeaseStateMachine.StepDownReason?
        var failure: (any Error)?
        await withTaskGroup(of: TermEnd.self) { group in
            group.addTask {
                do {
                    try await runTerm()
                    return .term(nil)
                } catch {
                    return .term(error)
                }
            }
            group.addTask { await keepLease(start) }
            while let end = await group.next() {
                switch end {
                case .lease(let kept, let reason):
                    machine = kept
                    guard let reason else { continue }
                    // Nothing more is written or emitted from here on; then the term stops.
                    stopActing()
                    lost = reason
                    group.cancelAll()
                case .term(let error):
                    // The term is over: stop renewing. Unless the daemon is shutting down, that
                    // is a failure even without an error (a part ended: the engine's results
                    // finish when its store fails).
                    if lost == nil, !Task.isShuttingDownGracefully {
                        failure = error ?? TermEnded()
                    }
                    group.cancelAll()
                }
            }
        }
        stopActing()
        role.endTerm()
        let now = Timestamp.monotonicMilliseconds()
        var fields = metadata
        fields["epoch"] = "\(epoch)"
        if let lost {
            fields["reason"] = "\(lost.rawValue)"
            logger.error("Stepped down: the lease is lost; standing by", metadata: fields)
        } else if let failure {
            let fenced = (failure as? CorrelationError)?.isFenced ?? false
            _ = machine.event(fenced ? .fenced(now: now) : .abandoned(now: now))
            fields["error"] = "\(failure)"
            if failure is ReconnectingConnection.FatalError {
                await lease.release(epoch: epoch)
                throw failure
            }
            logger.error("Stepped down: the term failed; standing by", metadata: fields)
            if !fenced { await lease.release(epoch: epoch) }
        } else {
            // Graceful shutdown: hand the lease over at once.
            await lease.release(epoch: epoch)
            logger.notice("Released the group's lease", metadata: fields)
        }
        return machine
    }

    /// A term whose services ended without an error while the daemon was not stopping.
    private struct TermEnded: Error, CustomStringConvertible {
        var description: String { "a part of the term stopped (see the errors logged before)" }
    }

    private func stopActing() {
        gate.close()
        fence.deactivate()
    }

    /// The term's services, in a service group of their own: cancelled at a step-down, shut
    /// down in order with the daemon.
    private func runTerm() async throws {
        let services = try await deciding.makeTerm(fence: fence, role: role)
        let configuration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            logger: logger)
        try await ServiceGroup(configuration: configuration).run()
    }

    /// Renews the lease until the machine steps down (returned with its reason) or the task is
    /// cancelled (returned without one). Deaf to graceful shutdown: the lease is kept while
    /// the term drains.
    private func keepLease(_ start: LeaseStateMachine) async -> TermEnd {
        var machine = start
        while !Task.isCancelled {
            let now = Timestamp.monotonicMilliseconds()
            let next = machine.nextTick ?? now
            if next > now {
                do {
                    try await Task.sleep(for: .milliseconds(next - now))
                } catch {
                    break
                }
                continue
            }
            switch machine.event(.tick(now: now)) {
            case .renew(let epoch):
                let event: LeaseStateMachine.Event
                do {
                    // No longer than the lease's validity: past it, an answer is of no use.
                    let left = max((machine.validUntil ?? now) - now, 1)
                    let renewed = try await lease.renew(
                        epoch: epoch, leaseMs: leaseMs, timeout: .milliseconds(left))
                    let now = Timestamp.monotonicMilliseconds()
                    event = renewed ? .renewed(now: now) : .renewalRefused(now: now)
                } catch {
                    logger.warning(
                        "Could not renew the lease; retrying while it holds",
                        metadata: metadata.merging(["epoch": "\(epoch)", "error": "\(error)"]) { $1 })
                    event = .ioFailed(now: Timestamp.monotonicMilliseconds())
                }
                let action = machine.event(event)
                gate.open(epoch: epoch, until: machine.validUntil)
                if case .stepDown(_, let reason) = action { return .lease(machine, reason) }
            case .stepDown(_, let reason):
                gate.close()
                return .lease(machine, reason)
            default:
                break
            }
        }
        return .lease(machine, nil)
    }
}
