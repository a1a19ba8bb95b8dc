import AMQPClient
import Foundation
import TestSupport
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

    /// Plain, and over TLS with the EXTERNAL (client certificate) login for every connection
    /// of the daemon, the sink's included.
    @Test(arguments: [false, true])
    func deliversEveryRecordToABoundQueueAcrossAConnectionClose(overTLS: Bool) async throws {
        let harness = try DaemonHarness(
            name: overTLS ? "amqpsinktls" : "amqpsink",
            brokerURL: overTLS ? "amqps://localhost:5671/?auth_mechanism=external" : DaemonHarness.brokerURL,
            brokerYAML: overTLS ? DaemonHarness.tlsSection(clientCertificate: true) : "",
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
        #expect(try await harness.closeDaemonConnections(roles: ["sink bus"]) == 1)
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
        if overTLS {
            let users = try await RabbitMQControl.run([
                "list_connections", "-q", "--no-table-headers", "user", "auth_mechanism", "ssl",
                "client_properties",
            ])
            let sinkLine = users.split(separator: "\n").first {
                $0.contains("\(harness.connectionName) sink bus")
            }
            #expect(sinkLine?.hasPrefix("mts-relay-client\tEXTERNAL\ttrue") == true, "\(users)")
        }
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }
}
