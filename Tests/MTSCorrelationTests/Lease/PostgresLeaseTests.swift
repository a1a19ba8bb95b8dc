import Foundation
import Synchronization
import TestSupport
import Testing

@testable import MTSCorrelation

/// The lease and the epoch fence against a real PostgreSQL server, each test in a group of its
/// own.
@Suite struct PostgresLeaseTests {
    let t0 = Fixtures.epoch

    /// Milliseconds of this process's monotonic clock.
    static func now() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }

    typealias Log = [(action: LeaseStateMachine.Action, at: Int64)]

    /// Drives `machine` with `lease` until `stop` says so or `timeoutMs` passed; returns the
    /// machine and the actions that were not `.none`, with their times.
    static func drive(
        _ machine: LeaseStateMachine, _ lease: PostgresLease, timeoutMs: Int64,
        until stop: (LeaseStateMachine.Action) -> Bool = { _ in false }
    ) async throws -> (LeaseStateMachine, Log) {
        var machine = machine
        var log: Log = []
        let deadline = now() + timeoutMs
        while now() < deadline {
            var action = machine.event(.tick(now: now()))
            while action != .none {
                log.append((action, now()))
                if stop(action) { return (machine, log) }
                switch action {
                case .tryAcquire:
                    let epoch = try await lease.tryAcquire(leaseMs: machine.leaseMs)
                    action = machine.event(
                        epoch.map { .acquired(epoch: $0, now: now()) } ?? .held(now: now()))
                case .renew(let epoch):
                    let kept = try await lease.renew(epoch: epoch, leaseMs: machine.leaseMs)
                    action = machine.event(kept ? .renewed(now: now()) : .renewalRefused(now: now()))
                default:
                    action = .none
                }
            }
            let wait = max(1, min((machine.nextTick ?? now()) - now(), 50))
            try await letTimePass(.milliseconds(wait), "until the lease state machine's next tick")
        }
        return (machine, log)
    }

    static func becameActive(_ action: LeaseStateMachine.Action) -> Bool {
        if case .becomeActive = action { true } else { false }
    }

    @Test(.timeLimit(.minutes(1)))
    func ofTwoMembersOneWinsAndTheOtherStaysStandby() async throws {
        let group = TestPostgres.uniqueGroup("lease")
        let a = try await PostgresLease.connect(url: TestPostgres.url, group: group, node: "a")
        let b = try await PostgresLease.connect(url: TestPostgres.url, group: group, node: "b")
        async let first = a.tryAcquire(leaseMs: 5_000)
        async let second = b.tryAcquire(leaseMs: 5_000)
        let epochs = try await [first, second]
        #expect(epochs.compactMap { $0 } == [1], "exactly one wins, with the first epoch: \(epochs)")
        let holder = try #require(try await a.current())
        #expect(holder.epoch == 1)
        #expect(holder.holder == (epochs[0] != nil ? "a" : "b"))
        // The loser's renewal of the winner's epoch is no use to it: it holds nothing.
        #expect(try await b.tryAcquire(leaseMs: 5_000) == nil)
        await a.close()
        await b.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func whenTheActiveStopsRenewingTheStandbyTakesOverAfterTheLeaseAndTheOldEpochIsFenced() async throws {
        let leaseMs: Int64 = 3_000  // renewals every 750 ms survive a loaded machine
        let group = TestPostgres.uniqueGroup("lease")
        let location = StoreLocation.postgres(url: TestPostgres.url, group: group)
        let a = try await PostgresLease.connect(url: TestPostgres.url, group: group, node: "a")
        let b = try await PostgresLease.connect(url: TestPostgres.url, group: group, node: "b")

        // A takes the lease and writes with its epoch.
        let (initialA, logA) = try await Self.drive(
            LeaseStateMachine(leaseMs: leaseMs, now: Self.now()), a, timeoutMs: 5_000,
            until: Self.becameActive)
        var machineA = initialA
        let epochA = try #require(machineA.activeEpoch)
        #expect(logA.last?.action == .becomeActive(epoch: epochA))
        // A renews from now on, for two leases, while it opens its store and B polls: a slow
        // open on a loaded machine must not cost it the lease.
        let renewingA = machineA
        async let keepA = Self.drive(renewingA, a, timeoutMs: 2 * leaseMs)
        let fenceA = StoreFence(leaseMs: leaseMs)
        fenceA.activate(epoch: epochA)
        let engineA = try await CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0), store: location,
            fence: fenceA)
        try await engineA.register(Fixtures.request("before-takeover"))

        // B polls for a lease while A keeps renewing: B stays standby. (One lease, not two: it
        // ends before A's renewals run out plus a lease, however long A's open took up to 3 s.)
        let (initialB, standby) = try await Self.drive(
            LeaseStateMachine(leaseMs: leaseMs, now: Self.now()), b, timeoutMs: leaseMs)
        var machineB = initialB
        let renewalsOfA: Log
        (machineA, renewalsOfA) = try await keepA
        #expect(machineB.activeEpoch == nil)
        #expect(standby.contains { $0.action == .tryAcquire })
        #expect(renewalsOfA.filter { $0.action == .renew(epoch: epochA) }.count >= 4)
        #expect(machineA.activeEpoch == epochA)

        // A stops renewing (paused): its last successful renewal was sent at most now. B takes
        // over once the database's clock passes A's expiry, within a lease and a poll.
        let stopped = Self.now()
        let takeover: Log
        (machineB, takeover) = try await Self.drive(
            machineB, b, timeoutMs: 4 * leaseMs, until: Self.becameActive)
        let epochB = try #require(machineB.activeEpoch)
        let tookAfter = (takeover.last?.at ?? 0) - stopped
        print(
            "lease takeover: B active with epoch \(epochB) \(tookAfter) ms after A stopped renewing (lease \(leaseMs) ms)"
        )
        #expect(epochB == epochA + 1)
        #expect(tookAfter <= leaseMs + machineB.pollInterval + 1_000)

        // The paused A wakes up and writes with its old epoch: refused, nothing written.
        await #expect(
            throws: CorrelationError.storeFailed(.fenced(path: location.description, epoch: epochA))
        ) {
            try await engineA.register(Fixtures.request("after-takeover"))
        }
        // Its lease driver learns it at its next renewal, and steps down.
        let (_, lostA) = try await Self.drive(machineA, a, timeoutMs: 2 * leaseMs) {
            if case .stepDown = $0 { true } else { false }
        }
        let stepDown = lostA.last?.action
        #expect(
            stepDown == .stepDown(epoch: epochA, reason: .lost)
                || stepDown == .stepDown(epoch: epochA, reason: .expired))
        await engineA.shutdown()

        // B loads the table (A's committed registration, not the refused one) and writes.
        let fenceB = StoreFence(leaseMs: leaseMs)
        fenceB.activate(epoch: epochB)
        let engineB = try await CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0), store: location,
            fence: fenceB)
        #expect(engineB.recoveredRequests.map(\.request.correlationId) == ["before-takeover"])
        try await engineB.register(Fixtures.request("by-b"))
        #expect(await engineB.outstandingCount == 2)
        await engineB.shutdown()
        await a.close()
        await b.close()
        await TestPostgres.drop(group: group)
    }

    @Test func aFenceWithoutAnEpochRefusesEveryWrite() async throws {
        let group = TestPostgres.uniqueGroup("lease")
        let location = StoreLocation.postgres(url: TestPostgres.url, group: group)
        let engine = try await CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0), store: location,
            fence: StoreFence(leaseMs: 5_000))
        await #expect(throws: CorrelationError.storeFailed(.fenced(path: location.description, epoch: 0))) {
            try await engine.register(Fixtures.request("a"))
        }
        await engine.shutdown()
        let reopened = try await CorrelationEngine(
            configuration: Fixtures.configuration, clock: ManualCorrelationClock(now: t0), store: location)
        #expect(await reopened.outstandingCount == 0)
        await reopened.shutdown()
    }

    /// A member frozen between its fence check and its COMMIT (SIGSTOP, a stalled VM) holds the
    /// lease row `FOR SHARE`, and its TCP connection stays up: without a limit a take-over would
    /// wait as long as the freeze. The server ends that session after half the lease, so the
    /// standby takes over on time and the frozen batch commits nothing.
    @Test(.timeLimit(.minutes(1)))
    func aMemberFrozenInsideABatchDoesNotKeepTheStandbyFromTheLease() async throws {
        let leaseMs: Int64 = 1_000
        let freeze: Duration = .seconds(4)
        let group = TestPostgres.uniqueGroup("lease")
        let a = try await PostgresLease.connect(url: TestPostgres.url, group: group, node: "a")
        let b = try await PostgresLease.connect(url: TestPostgres.url, group: group, node: "b")
        let fence = StoreFence(leaseMs: leaseMs)
        #expect(fence.idleInTransactionTimeoutMs == 500)
        let acquired = Mutex<Int64?>(nil)
        let frozenAt = Mutex<ContinuousClock.Instant?>(nil)
        let batchEnded = Mutex(false)

        // A's batch on its own thread: the store opened first (connect and migration can take
        // a while on a loaded machine), then the 1 s lease taken, the fence check passed, and
        // A freezes before its COMMIT.
        async let frozenBatch: Result<Void, CorrelationStoreError> = TestPostgres.onOwnThread {
            let backend = try PostgresBackend(url: TestPostgres.url, group: group, fence: fence)
            defer { backend.close() }
            TestPostgres.blocking {
                let epoch = try await a.tryAcquire(leaseMs: leaseMs)
                if let epoch { fence.activate(epoch: epoch) }
                acquired.withLock { $0 = epoch ?? -1 }
            }
            defer { batchEnded.withLock { $0 = true } }
            return Result { () throws(CorrelationStoreError) in
                try backend.write(
                    [
                        .insert(
                            PersistedRequest(
                                request: Fixtures.request("frozen"), bodyHash: 1,
                                deadline: Fixtures.epoch + 1_000,
                                state: .outstanding))
                    ],
                    log: LogChanges(),
                    beforeCommit: {
                        frozenAt.withLock { $0 = .now }
                        Thread.sleep(forTimeInterval: freeze / .seconds(1))  // time passes: frozen
                    })
            }
        }
        // B polls as a standby does, from the freeze on; the lease runs out 1 s after A took
        // it, the frozen session 0.5 s into the freeze.
        var start: ContinuousClock.Instant?
        _ = await eventually(timeout: .seconds(20), every: .milliseconds(10)) {
            start = frozenAt.withLock { $0 }
            return start != nil || batchEnded.withLock { $0 }
        }
        #expect(acquired.withLock { $0 } == 1)
        guard let start else {
            Issue.record("A's batch ended without reaching its COMMIT: \(try await frozenBatch)")
            return
        }
        let epoch: Int64 = 1
        var took: Int64?
        var tookAt = start
        while took == nil, tookAt - start < freeze {
            took = try await b.tryAcquire(leaseMs: leaseMs)
            tookAt = .now
            if took == nil { try await letTimePass(.milliseconds(100), "a standby's poll interval") }
        }
        print("lease takeover past a frozen batch: \(tookAt - start) after the freeze began")
        #expect(took == epoch + 1, "the standby did not get the lease while A was frozen")
        #expect(tookAt - start < freeze)

        // A wakes: its session is gone, so its batch fails at once (not after a statement's
        // timeout: postgres-nio leaves a query on a closed connection unanswered) and commits
        // nothing.
        let outcome = try await frozenBatch
        let error = #expect(throws: CorrelationStoreError.self) { try outcome.get() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("the connection to the database is closed"))
        let rows = try await TestPostgres.onOwnThread {
            let backend = try PostgresBackend(url: TestPostgres.url, group: group)
            defer { backend.close() }
            return try backend.readRows()
        }
        #expect(rows.isEmpty)
        await a.close()
        await b.close()
        await TestPostgres.drop(group: group)
    }

    @Test func aReleasedLeaseIsTakenAtOnceWithTheNextEpoch() async throws {
        let group = TestPostgres.uniqueGroup("lease")
        let a = try await PostgresLease.connect(url: TestPostgres.url, group: group, node: "a")
        let b = try await PostgresLease.connect(url: TestPostgres.url, group: group, node: "b")
        let epoch = try #require(try await a.tryAcquire(leaseMs: 60_000))
        #expect(try await b.tryAcquire(leaseMs: 60_000) == nil)
        try await a.release(epoch: epoch)
        #expect(try await b.tryAcquire(leaseMs: 60_000) == epoch + 1)
        #expect(try await a.renew(epoch: epoch, leaseMs: 60_000) == false)
        await a.close()
        await b.close()
    }
}
