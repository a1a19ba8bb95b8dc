import Foundation
import TestSupport
import Testing

/// The broker itself goes away (`rabbitmqctl stop_app`) and comes back (`start_app`) while the
/// daemon works through 20 000 pairs: nothing is lost.
///
/// This disturbs every connection to the broker, so `scripts/test.sh` runs this suite on its
/// own, after the others (`swift test --filter BrokerRestartTests`).
@Suite("mts-relay run across a broker restart", .timeLimit(.minutes(5)))
struct BrokerRestartTests {
    @Test func twentyThousandPairsSurviveABrokerRestart() async throws {
        let harness = try DaemonHarness(name: "restart")
        let (ids, messages) = DaemonResilienceTests.pairs(harness, count: 20_000)
        try await harness.publishAll(messages)
        try await harness.startAndWait()
        _ = try await harness.waitForResults(timeout: .seconds(120)) {
            Set($0.compactMap { $0["correlationId"] as? String }).count >= 5_000
        }
        try await RabbitMQControl.run(["stop_app"])
        try await letTimePass(.seconds(2), "the broker down, while the relay retries")
        try await RabbitMQControl.run(["start_app"])
        try await RabbitMQControl.run(["await_startup"])
        let records = try await harness.waitForResults(timeout: .seconds(180)) {
            Set($0.compactMap { $0["correlationId"] as? String }).count >= ids.count
        }
        DaemonResilienceTests.checkNothingLost(records, ids: ids)
        #expect(harness.log.contains("Reconnected to the broker"))
        #expect(harness.isRunning)
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }
}
