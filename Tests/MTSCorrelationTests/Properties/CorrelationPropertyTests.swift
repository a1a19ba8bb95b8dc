import MTSCorrelation
import PropertyBased
import TestSupport
import Testing

/// For any interleaving of registrations, replies, clock advances, confirms, backlog signals and
/// crashes (see ``CorrelationSimulation``): every registered request ends in exactly one of
/// `matched` or `timeout`; every reply yields exactly one result; no result is emitted twice
/// across a simulated restart unless its input was redelivered.
@Suite struct CorrelationPropertyTests {
    @Test func anyInterleavingKeepsTheInvariants() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...9_999).array(of: 1...80)) { codes in
            var simulation = CorrelationSimulation()
            simulation.run(codes)
            let problems = simulation.violations()
            #expect(problems.isEmpty, "\(problems)\n\(simulation.log.joined(separator: "\n"))")
        }
    }

    /// The checker itself must be able to fail: a simulation that drops a result is caught.
    @Test func theInvariantCheckerCatchesALostResult() {
        var simulation = CorrelationSimulation()
        simulation.run([0, 2, 6])  // register c0, reply c0, confirm
        #expect(simulation.violations().isEmpty)
        simulation.emitted.removeLast()
        #expect(!simulation.violations().isEmpty)
    }

    /// A planted bug the checker must catch through the property check, shrunk to a short
    /// interleaving: the run as it happened, then `plant` breaks what it emitted.
    static func catches(
        _ bug: Comment, plant: @escaping (inout CorrelationSimulation) -> Void
    ) async -> String? {
        let failure = await counterexample(of: bug) {
            await propertyCheck(count: 400, input: Gen.int(in: 0...9_999).array(of: 1...80)) { codes in
                var simulation = CorrelationSimulation()
                simulation.run(codes)
                plant(&simulation)
                #expect(simulation.violations().isEmpty)
            }
        }
        return shrunkInput(failure)
    }

    @Test(.shrinking) func thePropertyCatchesALostResult() async {
        let input = await Self.catches("a planted lost result") { simulation in
            if !simulation.emitted.isEmpty { simulation.emitted.removeLast() }
        }
        #expect((input?.split(separator: ",").count ?? .max) <= 3, "\(input ?? "not shrunk")")
    }

    @Test(.shrinking) func thePropertyCatchesAResultEmittedTwice() async {
        let input = await Self.catches("a planted duplicate") { simulation in
            if let first = simulation.emitted.first(where: { $0.registration != nil }) {
                var again = first
                again.lifetime += 1
                simulation.emitted.append(again)
            }
        }
        #expect((input?.split(separator: ",").count ?? .max) <= 3, "\(input ?? "not shrunk")")
    }

    @Test(.shrinking) func thePropertyCatchesAnEarlyTimeout() async {
        let input = await Self.catches("a planted timeout before the watermark passed the deadline") {
            simulation in
            for index in simulation.emitted.indices where simulation.emitted[index].result.outcome == .timeout
            {
                simulation.emitted[index].replyWatermark = .min
                simulation.emitted[index].withLate = false
                simulation.emitted[index].reemitted = false
            }
        }
        #expect(input != nil)
        #expect((input?.split(separator: ",").count ?? .max) <= 6, "\(input ?? "not shrunk")")
    }

    @Test(.shrinking) func theHeapPropertyCatchesAWrongModel() async {
        let failure = await counterexample(of: "a planted model that expects the latest deadline first") {
            await propertyCheck(count: 200, input: Gen.int(in: 0...999).array(of: 1...200)) { codes in
                Self.checkDeadlineOrder(codes, plantedReversal: true)
            }
        }
        #expect(shrunkInput(failure) != nil, "\(failure ?? "-")")
    }

    @Test func theDeadlineHeapAgreesWithASortedModel() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...999).array(of: 1...200)) { codes in
            Self.checkDeadlineOrder(codes)
        }
    }

    /// Registers and answers requests as `codes` say, fires everything, and checks the timeouts
    /// came in deadline order (latest first, when `plantedReversal`: a wrong model).
    static func checkDeadlineOrder(_ codes: [Int], plantedReversal: Bool = false) {
        var core = CorrelationCore(
            configuration: CorrelationConfiguration(
                timeouts: OperationTimeouts(defaultTimeout: 0, byOperation: [:]), retention: 1_000_000_000
            ),
            now: 0)
        var model: [String: Int64] = [:]
        var fired: [String] = []
        for (index, code) in codes.enumerated() {
            let id = "r\(code % 50)"
            if code % 4 == 3 {
                if model[id] != nil,
                    !core.receive(
                        Fixtures.reply(id, operation: "op", contentType: "t-reply", at: 0), now: 0
                    )
                    .results.isEmpty
                {
                    model[id] = nil
                }
            } else if model[id] == nil, !core.isKnown(id) {
                let deadline = Int64(code * 7 % 500 + 1)
                _ = try? core.register(
                    Fixtures.request(
                        id, operation: "op", contentType: "t", at: deadline, body: "\(index)"), now: 0)
                model[id] = deadline
            }
        }
        fired = core.advanceAll(to: 10_000).results.compactMap(\.correlationId)
        var expected = model.sorted { ($0.value, 0) < ($1.value, 0) }.map(\.value)
        if plantedReversal { expected.reverse() }
        let firedDeadlines = fired.map { model[$0] ?? -1 }
        #expect(firedDeadlines == expected, "fired in deadline order")
        #expect(Set(fired) == Set(model.keys))
    }
}
