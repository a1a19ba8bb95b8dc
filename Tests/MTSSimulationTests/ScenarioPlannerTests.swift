import MTSCorrelation
import MTSSimulation
import Testing

@Suite("mts-sim's scenario planner")
struct ScenarioPlannerTests {
    static func configuration(seed: UInt64 = 9) throws -> ScenarioConfiguration {
        var configuration = ScenarioConfiguration(runPrefix: "plan", seed: seed)
        configuration.fates = FateRatios(
            drop: 0.1, late: 0.1, duplicate: 0.1, unsolicited: 0.1, malformed: 0.1, replyFirst: 0.1)
        configuration.latency = .exponential(mean: 400)
        configuration.timeouts = try OperationTimeouts(
            parsing: "ticket-cancel=1500,casino-sessions-inform=900")
        configuration.maxTimeoutWaitMilliseconds = 2000
        return configuration
    }

    static func plan(_ configuration: ScenarioConfiguration, count: Int) throws -> [PlannedExchange] {
        var planner = try ScenarioPlanner(configuration: configuration)
        return (0..<count).map { _ in planner.next() }
    }

    @Test func theSameSeedPlansTheSameRun() throws {
        let first = try Self.plan(Self.configuration(), count: 500)
        #expect(first == (try Self.plan(Self.configuration(), count: 500)))
        #expect(first != (try Self.plan(Self.configuration(seed: 10), count: 500)))
        #expect(first.map(\.correlationId).prefix(2) == ["plan-000000", "plan-000001"])
        #expect(Set(first.map(\.correlationId)).count == 500)
    }

    @Test func fatesFollowTheirRatios() throws {
        let all = try Self.plan(Self.configuration(), count: 10_000)
        for fate in Fate.allCases {
            let share = Double(all.count { $0.fate == fate }) / 10_000
            let wanted = fate == .normal ? 0.4 : 0.1
            #expect(abs(share - wanted) < 0.02, "\(fate): \(share)")
        }
    }

    @Test func timingKeepsEveryFateOnItsSideOfTheDeadline() throws {
        let configuration = try Self.configuration()
        for exchange in try Self.plan(configuration, count: 5000) {
            let timeout = configuration.timeouts.milliseconds(for: exchange.kind)
            let delays = exchange.replies.map(\.delayMilliseconds)
            switch exchange.fate {
            case .drop:
                #expect(exchange.replies.isEmpty)
                #expect(timeout <= 2000)
            case .late:
                #expect(delays == [timeout + 500])
                #expect(timeout <= 2000)
            case .replyFirst:
                #expect(exchange.replies.map(\.timing) == [.beforeRequest])
            case .duplicate:
                #expect(exchange.replies.map(\.copies) == [2])
                #expect(delays.allSatisfy { $0 <= timeout / 2 })
            case .malformed:
                #expect(exchange.replies.count == 2 && exchange.replies[0].malformation != nil)
                #expect(exchange.replies[1].malformation == nil)
                #expect(delays.allSatisfy { $0 <= timeout / 2 })
            case .normal, .unsolicited:
                #expect(exchange.replies.count == 1 && delays.allSatisfy { $0 <= timeout / 2 })
            }
        }
    }

    @Test func expectedOutcomesPerFate() {
        #expect(Fate.normal.expectedOutcomes() == [.matched])
        #expect(Fate.replyFirst.expectedOutcomes() == [.matched])
        #expect(Fate.drop.expectedOutcomes() == [.timeout])
        #expect(Fate.late.expectedOutcomes() == [.timeout, .late])
        #expect(Fate.duplicate.expectedOutcomes() == [.matched, .duplicate])
        #expect(Fate.unsolicited.expectedOutcomes() == [.unmatched])
        #expect(Fate.malformed.expectedOutcomes() == [.invalid, .matched])
        #expect(Fate.malformed.expectedOutcomes(anonymousMalformed: true) == [.matched])
    }

    @Test func unusableOptionsAreRefused() throws {
        var tooMuch = try Self.configuration()
        tooMuch.fates.drop = 0.6
        #expect(throws: SimulationOptionError.self) { try ScenarioPlanner(configuration: tooMuch) }

        var noKindTimesOut = try Self.configuration()
        noKindTimesOut.mix = try KindMix(parsing: "ticket-placement")
        #expect(throws: SimulationOptionError.self) { try ScenarioPlanner(configuration: noKindTimesOut) }
        noKindTimesOut.fates = FateRatios(duplicate: 0.5)
        #expect(throws: Never.self) { try ScenarioPlanner(configuration: noKindTimesOut) }

        var badPrefix = try Self.configuration()
        badPrefix.runPrefix = "has space"
        #expect(throws: SimulationOptionError.self) { try ScenarioPlanner(configuration: badPrefix) }
    }

    @Test func optionsParse() throws {
        #expect(LatencyDistribution(parsing: "20") == .fixed(20))
        #expect(LatencyDistribution(parsing: "5..50") == .uniform(5...50))
        #expect(LatencyDistribution(parsing: "exp:30") == .exponential(mean: 30))
        #expect(LatencyDistribution(parsing: "50..5") == nil)
        #expect(LatencyDistribution(parsing: "fast") == nil)

        let mix = try KindMix(parsing: "ticket-cancel=3,ticket-placement")
        #expect(mix.kinds == [.ticketPlacement, .ticketCancel])
        #expect(throws: SimulationOptionError.self) { try KindMix(parsing: "ticket-cashout") }

        let timeouts = try OperationTimeouts(parsing: "ticket-cancel=2000,default=5000")
        #expect(timeouts.milliseconds(for: .ticketCancel) == 2000)
        #expect(timeouts.milliseconds(for: .ticketPlacement) == 17_000)
        #expect(timeouts.milliseconds(for: .casinoSessionsInform) == 5000)

        let routing = try ReplyRouting(parsing: ["a,b", "ticket-cancel=c"], mix: .even)
        let exchanges = try Self.plan(Self.configuration(), count: 40)
        for exchange in exchanges {
            let queue = routing.queue(for: exchange)
            #expect(exchange.kind == .ticketCancel ? queue == "c" : queue == ["a", "b"][exchange.index % 2])
        }
        #expect(throws: SimulationOptionError.self) {
            try ReplyRouting(parsing: ["ticket-cancel=c"], mix: .even)
        }
    }
}
