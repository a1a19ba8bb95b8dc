import Testing

@testable import MTSCorrelation

/// The lease state machine alone: no clock, no database.
@Suite struct LeaseStateMachineTests {
    let lease: Int64 = 4_000

    /// An active member with `epoch`, having taken the lease with an attempt sent at 0.
    func active(epoch: Int64 = 7) -> LeaseStateMachine {
        var machine = LeaseStateMachine(leaseMs: lease, now: 0)
        #expect(machine.event(.tick(now: 0)) == .tryAcquire)
        #expect(machine.event(.acquired(epoch: epoch, now: 5)) == .becomeActive(epoch: epoch))
        return machine
    }

    @Test func aStandbyTriesAtOnceAndAgainEveryPollWhileTheLeaseIsHeld() {
        var machine = LeaseStateMachine(leaseMs: lease, now: 100)
        #expect(machine.event(.tick(now: 100)) == .tryAcquire)
        // No second attempt while one is under way.
        #expect(machine.event(.tick(now: 150)) == .none)
        #expect(machine.event(.held(now: 200)) == .none)
        #expect(machine.nextTick == 200 + machine.pollInterval)
        #expect(machine.event(.tick(now: 200 + machine.pollInterval - 1)) == .none)
        #expect(machine.event(.tick(now: 200 + machine.pollInterval)) == .tryAcquire)
        #expect(machine.event(.ioFailed(now: 1_300)) == .none)
        #expect(machine.activeEpoch == nil)
    }

    @Test func aStandbyWhoseAttemptsFailBacksOffUpToALeaseAndStartsOverOnAnAnswer() {
        var machine = LeaseStateMachine(leaseMs: lease, now: 0)
        var now: Int64 = 0
        var delays: [Int64] = []
        for _ in 0..<8 {
            #expect(machine.event(.tick(now: now)) == .tryAcquire)
            #expect(machine.event(.ioFailed(now: now)) == .none)
            let next = machine.nextTick ?? now
            delays.append(next - now)
            #expect(machine.event(.tick(now: next - 1)) == .none)
            now = next
        }
        let poll = machine.pollInterval
        #expect(Array(delays.prefix(3)) == [poll, poll * 2, poll * 4], "\(delays)")
        #expect(delays.allSatisfy { $0 <= lease } && delays.last == lease, "\(delays)")
        // An answer (the lease is held by another) starts the count over.
        #expect(machine.event(.tick(now: now)) == .tryAcquire)
        #expect(machine.event(.held(now: now)) == .none)
        #expect(machine.failedAttempts == 0)
        #expect(machine.nextTick == now + poll)
    }

    @Test func theActiveRenewsSeveralTimesWithinTheLeaseAndStaysActive() {
        var machine = active()
        #expect(machine.renewInterval * 3 < lease, "several renewals fit in one lease")
        var now: Int64 = 0
        for _ in 0..<10 {
            now += machine.renewInterval
            #expect(machine.event(.tick(now: now)) == .renew(epoch: 7))
            #expect(machine.event(.renewed(now: now + 3)) == .none)
        }
        #expect(machine.activeEpoch == 7)
    }

    @Test func theLeaseCountsFromWhenTheRenewalWasSentNotAnswered() {
        var machine = active()
        let sent = machine.renewInterval
        #expect(machine.event(.tick(now: sent)) == .renew(epoch: 7))
        #expect(machine.event(.renewed(now: sent + 900)) == .none)
        guard case .active(_, let validUntil, _, _) = machine.role else {
            Issue.record("not active: \(machine.role)")
            return
        }
        #expect(validUntil == sent + lease - machine.safetyMarginMs)
    }

    @Test func aRefusedRenewalStepsDownAtOnce() {
        var machine = active()
        #expect(machine.event(.tick(now: machine.renewInterval)) == .renew(epoch: 7))
        #expect(
            machine.event(.renewalRefused(now: machine.renewInterval + 2))
                == .stepDown(epoch: 7, reason: .lost))
        #expect(machine.activeEpoch == nil)
        // The step-down's outcome answers nothing more.
        #expect(machine.event(.renewed(now: machine.renewInterval + 3)) == .none)
        #expect(machine.activeEpoch == nil)
    }

    @Test func aFencedWriteStepsDownAtOnce() {
        var machine = active(epoch: 3)
        #expect(machine.event(.fenced(now: 10)) == .stepDown(epoch: 3, reason: .fenced))
        #expect(machine.activeEpoch == nil)
    }

    @Test func aFailedPipelineStepsDownAndTheValidityIsGone() {
        var machine = active(epoch: 4)
        #expect(machine.validUntil == lease - machine.safetyMarginMs)
        #expect(machine.event(.abandoned(now: 20)) == .stepDown(epoch: 4, reason: .failed))
        #expect(machine.validUntil == nil)
        // Abandoning while standing by changes nothing.
        #expect(machine.event(.abandoned(now: 21)) == .none)
    }

    @Test func withoutASuccessfulRenewalTheActiveStepsDownWhenTheLeaseRunsOut() {
        var machine = active()
        let validUntil = lease - machine.safetyMarginMs
        var now = machine.renewInterval
        // The database cannot be reached: every renewal fails, and is retried.
        while now < validUntil {
            let action = machine.event(.tick(now: now))
            if action == .renew(epoch: 7) { #expect(machine.event(.ioFailed(now: now + 1)) == .none) }
            #expect(machine.activeEpoch == 7)
            now += 50
        }
        #expect(machine.event(.tick(now: validUntil)) == .stepDown(epoch: 7, reason: .expired))
    }

    @Test func aRenewalAnsweredAfterTheLeaseRanOutStepsDown() {
        var machine = active()
        let sent = machine.renewInterval
        #expect(machine.event(.tick(now: sent)) == .renew(epoch: 7))
        #expect(
            machine.event(.renewed(now: sent + lease)) == .stepDown(epoch: 7, reason: .expired))
    }

    @Test func aSteppedDownMemberTriesAgainAfterAPoll() {
        var machine = active()
        #expect(machine.event(.fenced(now: 1_000)) == .stepDown(epoch: 7, reason: .fenced))
        #expect(machine.event(.tick(now: 1_000)) == .none)
        #expect(machine.event(.tick(now: 1_000 + machine.pollInterval)) == .tryAcquire)
        #expect(
            machine.event(.acquired(epoch: 9, now: 1_001 + machine.pollInterval)) == .becomeActive(epoch: 9))
    }
}
