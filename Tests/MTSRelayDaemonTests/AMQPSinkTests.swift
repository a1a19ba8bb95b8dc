import AMQPClient
import Foundation
import Testing

@testable import MTSRelayDaemon

@Suite("AMQP sink", .timeLimit(.minutes(3)))
struct AMQPSinkTests {
    @Test func routingKeysAreTemplatedByOutcomeAndOperation() {
        #expect(
            AMQPSink.routingKey(
                template: "{outcome}.{operation}", outcome: .matched, operation: "ticket-placement")
                == "matched.ticket-placement")
        #expect(
            AMQPSink.routingKey(template: "mts.{outcome}", outcome: .unmatched, operation: nil)
                == "mts.unmatched")
        #expect(AMQPSink.routingKey(template: "{operation}", outcome: .timeout, operation: nil) == "none")
    }

    @Test func deliversEveryRecordToABoundQueueAcrossAConnectionClose() async throws {
        let harness = try DaemonHarness(
            name: "amqpsink",
            extraSinks: """
                  - type: amqp
                    name: bus
                    exchange: PREFIX.results
                    routingKey: "{outcome}.{operation}"
                    retry:
                      initialDelayMs: 50
                      maxDelayMs: 500
                """)
        let exchange = "\(harness.prefix).results"
        try harness.replaceInConfig("PREFIX", with: harness.prefix)
        let busQueue = "\(harness.prefix).bus"
        try await harness.bindQueue(busQueue, to: exchange, routingKey: "matched.#")
        let (ids, messages) = DaemonResilienceTests.pairs(harness, count: 3_000)
        try await harness.publishAll(messages)
        try await harness.startAndWait()

        _ = try await harness.waitForResults(timeout: .seconds(60)) {
            Set($0.compactMap { $0["correlationId"] as? String }).count >= 600
        }
        #expect(try harness.closeDaemonConnections(roles: ["sink bus"]) == 1)
        _ = try await harness.waitForResults(timeout: .seconds(60)) {
            Set($0.compactMap { $0["correlationId"] as? String }).count >= ids.count
        }

        var seen = Set<String>()
        var keys = Set<String>()
        let deadline = ContinuousClock.now + .seconds(60)
        while seen.count < ids.count, ContinuousClock.now < deadline {
            for delivery in try await harness.drain(
                busQueue, count: ids.count - seen.count, timeout: .seconds(5))
            {
                if let id = delivery.properties.correlationID { seen.insert(id) }
                keys.insert(delivery.routingKey)
                #expect(delivery.properties.contentType == "application/json")
            }
        }
        #expect(seen == Set(ids))
        #expect(keys == ["matched.ticket-placement"])
        #expect(harness.log.contains("role=\"sink bus\"") || harness.log.contains("sink bus"))
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }
}
