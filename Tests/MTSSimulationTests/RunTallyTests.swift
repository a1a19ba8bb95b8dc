import MTSCorrelation
import MTSSimulation
import Testing

@Suite("mts-sim's run summary")
struct RunTallyTests {
    @Test func countsMessagesAndOwedOutcomesAnonymousOnesIncluded() throws {
        var configuration = ScenarioConfiguration(runPrefix: "tally", seed: 3)
        configuration.fates = FateRatios(late: 0.2, duplicate: 0.2, malformed: 0.3)
        configuration.anonymousMalformedRatio = 0.5
        configuration.timeouts = try OperationTimeouts(parsing: "default=1000")
        var planner = try ScenarioPlanner(configuration: configuration)
        var tally = RunTally()
        var owed = 0
        for _ in 0..<1000 {
            let exchange = planner.next()
            tally.recordExpectations(of: exchange)
            owed += exchange.expectedOutcomes.count + (exchange.hasAnonymousReply ? 1 : 0)
        }
        #expect(tally.expectedOutcomes.values.reduce(0, +) == owed)
        #expect(tally.anonymousInvalid > 0)
        #expect(tally.expectedOutcomes[.invalid] == tally.fates[.malformed])
        #expect(tally.expectedOutcomes[.late] == tally.fates[.late])
        tally.recordRequest(.ticketCancel)
        tally.recordReplies(.ticketCancel, count: 2)
        let table = tally.table(elapsedSeconds: 2)
        #expect(table.contains("  ticket-cancel                      1         2"))
        #expect(table.contains("elapsed 2.000 s; 3 messages, 1.5 msg/s (0.5 requests/s)"))
        #expect(table.contains("(\(tally.anonymousInvalid) without id)"))
    }
}
