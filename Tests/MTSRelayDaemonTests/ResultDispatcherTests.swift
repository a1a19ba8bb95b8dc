import Logging
import MTSCorrelation
import Synchronization
import TestSupport
import Testing

@testable import MTSRelayDaemon

/// The sinks' lanes and the batch settlement, with in-memory sinks (pure logic: the real
/// sinks have their own tests against real servers and files).
@Suite("Result dispatcher: lanes and settlement", .timeLimit(.minutes(1)))
struct ResultDispatcherTests {
    /// A sink whose `write` is told by the test: accept, fail (retryably or not) or hold.
    final class ScriptedSink: ResultSink, Sendable {
        let name: String
        private let state = Mutex<(written: [[String?]], failuresLeft: Int, permanent: Bool)>(([], 0, false))
        private let gate: AsyncStream<Void>
        private let gateContinuation: AsyncStream<Void>.Continuation
        private let held: Bool

        init(name: String, failures: Int = 0, permanent: Bool = false, held: Bool = false) {
            self.name = name
            self.held = held
            (gate, gateContinuation) = AsyncStream.makeStream(of: Void.self)
            state.withLock {
                $0.failuresLeft = failures; $0.permanent = permanent
            }
        }

        /// Lets a held sink accept from now on.
        func release() { gateContinuation.finish() }

        var written: [[String?]] { state.withLock { $0.written } }

        func write(_ records: [SinkRecord]) async throws {
            if held { for await _ in gate {} }
            try Task.checkCancellation()
            let failure: SinkError? = state.withLock { state in
                if state.permanent { return SinkError(sink: name, reason: "refused", isRetryable: false) }
                guard state.failuresLeft > 0 else {
                    state.written.append(records.map(\.correlationId))
                    return nil
                }
                state.failuresLeft -= 1
                return SinkError(sink: name, reason: "down", isRetryable: true)
            }
            if let failure { throw failure }
        }
    }

    /// Collects what `submit` settles.
    final class Settled: Sendable {
        private let results = Mutex<[String: Bool]>([:])
        func callback(_ label: String) -> @Sendable ((any Error)?) -> Void {
            { error in self.results.withLock { $0[label] = error == nil } }
        }
        var all: [String: Bool] { results.withLock { $0 } }
    }

    final class Counter: Sendable {
        private let count = Mutex(0)
        func increment() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    static func record(_ id: String, _ outcome: CorrelationOutcome = .matched) -> ResultRecord {
        ResultRecord(outcome: outcome, correlationId: id, operation: "ticket-placement", emittedAt: 1)
    }

    static func route(_ sink: ScriptedSink, outcomes: Set<CorrelationOutcome> = []) -> SinkRoute {
        var retry = RelayConfiguration.Retry()
        retry.initialDelayMs = 1
        retry.maxDelayMs = 5
        return SinkRoute(sink: sink, outcomes: outcomes, retry: retry)
    }

    static func dispatcher(
        _ routes: [SinkRoute], depth: Int = 8, gate: EmissionGate = .alwaysOpen()
    ) -> ResultDispatcher {
        ResultDispatcher(
            routes: routes, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            metrics: RelayMetrics(), gate: gate, laneDepth: depth)
    }

    static func eventually(_ condition: () -> Bool) async throws {
        try await waitUntil("the condition", every: .milliseconds(5)) { condition() }
    }

    @Test func aClosedGateEmitsNothingAndSettlesWithNotActive() async throws {
        // A member that lost its lease (issue 15): batches already queued, and the retries of a
        // failing sink, are refused before the sink sees them.
        let steady = ScriptedSink(name: "steady")
        let flaky = ScriptedSink(name: "flaky", failures: 1_000)
        let gate = EmissionGate.closed()
        gate.open(epoch: 1, until: Timestamp.monotonicMilliseconds() + 60_000)
        let dispatcher = Self.dispatcher([Self.route(steady), Self.route(flaky)], gate: gate)
        let errors = Mutex<[String]>([])
        try await withThrowingTaskGroup { group in
            group.addTask { await dispatcher.run() }
            await dispatcher.submit([Self.record("before")]) { _ in }
            try await Self.eventually { steady.written == [["before"]] }
            gate.close()
            await dispatcher.submit([Self.record("after")]) { error in
                errors.withLock { $0.append(error.map { "\(type(of: $0))" } ?? "accepted") }
            }
            try await Self.eventually { !errors.withLock { $0 }.isEmpty }
            group.cancelAll()
        }
        #expect(errors.withLock { $0 } == ["NotActiveError"])
        #expect(steady.written == [["before"]])
        #expect(flaky.written.isEmpty)
    }

    @Test func theGateClosesByItselfWhenTheLeaseRunsOut() async throws {
        #expect(EmissionGate.alwaysOpen().isOpen)
        #expect(!EmissionGate.closed().isOpen)
        let gate = EmissionGate.closed()
        let opened = ContinuousClock.now
        gate.open(epoch: 1, until: Timestamp.monotonicMilliseconds() + 200)
        #expect(gate.isOpen)
        // No one closes it: its validity passes, and not before.
        try await waitUntil("the gate closing by itself", timeout: .seconds(10), every: .milliseconds(5)) {
            !gate.isOpen
        }
        #expect(ContinuousClock.now - opened >= .milliseconds(200))
        // A new term opens it for its own epoch only: a batch of the old one stays refused.
        gate.open(epoch: 2, until: Timestamp.monotonicMilliseconds() + 60_000)
        #expect(gate.isOpen(for: 2))
        #expect(!gate.isOpen(for: 1))
    }

    @Test func aBatchIsSettledOnceEverySinkThatSelectsItAcceptedIt() async throws {
        let flaky = ScriptedSink(name: "flaky", failures: 3)
        let steady = ScriptedSink(name: "steady")
        let onlyTimeouts = ScriptedSink(name: "timeouts")
        let dispatcher = Self.dispatcher([
            Self.route(flaky), Self.route(steady), Self.route(onlyTimeouts, outcomes: [.timeout]),
        ])
        let settled = Settled()
        try await withThrowingTaskGroup { group in
            group.addTask { await dispatcher.run() }
            await dispatcher.submit([Self.record("a"), Self.record("b")], settled: settled.callback("ab"))
            try await Self.eventually { settled.all["ab"] != nil }
            group.cancelAll()
        }
        #expect(settled.all == ["ab": true])
        // The retried sink got the batch once it accepted; the filtered one got nothing.
        #expect(flaky.written == [["a", "b"]])
        #expect(steady.written == [["a", "b"]])
        #expect(onlyTimeouts.written.isEmpty)
    }

    @Test func aHeldSinkHoldsUpNoOtherButEveryBatchWaitsForIt() async throws {
        let held = ScriptedSink(name: "held", held: true)
        let steady = ScriptedSink(name: "steady")
        let dispatcher = Self.dispatcher([Self.route(held), Self.route(steady)], depth: 4)
        let settled = Settled()
        try await withThrowingTaskGroup { group in
            group.addTask { await dispatcher.run() }
            for index in 0..<3 {
                await dispatcher.submit([Self.record("r\(index)")], settled: settled.callback("r\(index)"))
            }
            try await Self.eventually { steady.written.count == 3 }
            #expect(settled.all.isEmpty, "nothing is settled while one of its sinks has not accepted")
            held.release()
            try await Self.eventually { settled.all.count == 3 }
            group.cancelAll()
        }
        #expect(settled.all == ["r0": true, "r1": true, "r2": true])
        #expect(Set(held.written.flatMap { $0 }) == ["r0", "r1", "r2"])
    }

    @Test func aFullLaneMakesTheSenderWait() async throws {
        let held = ScriptedSink(name: "held", held: true)
        let dispatcher = Self.dispatcher([Self.route(held)], depth: 1)
        let submitted = Counter()
        try await withThrowingTaskGroup { group in
            group.addTask { await dispatcher.run() }
            group.addTask {
                for index in 0..<10 {
                    await dispatcher.submit([Self.record("r\(index)")], settled: { _ in })
                    submitted.increment()
                }
            }
            // One batch being written, one in the buffer, one in the channel's hand-over: the
            // sender is stopped well before 10.
            let bound = SinkLane.heldBatchesBound(depth: 1)
            try await Self.eventually { submitted.value >= bound - 1 }
            try await letTimePass(
                .milliseconds(100), "a window in which a sender that is not held would submit all ten")
            #expect(submitted.value <= bound)
            held.release()
            try await Self.eventually { submitted.value == 10 }
            try await Self.eventually { held.written.count == 10 }
            group.cancelAll()
        }
    }

    @Test func aPermanentRefusalSettlesTheBatchWithItsError() async throws {
        let refusing = ScriptedSink(name: "refusing", permanent: true)
        let steady = ScriptedSink(name: "steady")
        let dispatcher = Self.dispatcher([Self.route(refusing), Self.route(steady)])
        await withTaskGroup { group in
            group.addTask { await dispatcher.run() }
            await #expect(throws: SinkError.self) { try await dispatcher.dispatch(Self.record("x")) }
            group.cancelAll()
        }
        #expect(steady.written == [["x"]])
    }

    @Test func recordsNoSinkSelectsAreSettledAtOnce() async throws {
        let onlyTimeouts = ScriptedSink(name: "timeouts")
        let dispatcher = Self.dispatcher([Self.route(onlyTimeouts, outcomes: [.timeout])])
        // No lane runs: settling must not need one.
        try await dispatcher.dispatch([Self.record("m")])
        #expect(onlyTimeouts.written.isEmpty)
    }

    @Test func aSettlementTakesEachLanesFirstWordOnly() {
        let settled = Settled()
        let settlement = BatchSettlement(lanes: [0, 1], settled: settled.callback("b"))
        settlement.complete(lane: 0, error: CancellationError())
        settlement.complete(lane: 0, error: nil)
        #expect(settled.all.isEmpty)
        settlement.complete(lane: 1, error: nil)
        settlement.complete(lane: 1, error: nil)
        #expect(settled.all == ["b": false])
    }

    @Test func theConfirmationQueueHandsOverEverythingAppendedInOneCall() async {
        let queue = ConfirmationQueue()
        let ids = (0..<5).map { CorrelationResult.ID(rawValue: UInt64($0)) }
        queue.append(contentsOf: ids.prefix(2).map { .init(id: $0, entry: nil) })
        queue.append(contentsOf: ids.suffix(3).map { .init(id: $0, entry: nil) })
        #expect(await queue.next()?.map(\.id) == ids)
        queue.finish()
        #expect(await queue.next() == nil)
    }
}
