import Foundation
import TestSupport
import Testing

/// mts-sim refuses, without `--force`, to publish fake tickets where a production relay would
/// read them: a broker that is not on 127.0.0.1, or a queue the production configuration
/// consumes. The refusals come before any connection (exit 64, the usage status).
@Suite("mts-sim: safe by default")
struct SimulatorSafetyTests {
    static func directory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mts-sim-safety-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func aBrokerNotOnLoopbackIsRefused() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // TEST-NET-1: nothing answers there, so a run that was not refused would hang, not pass.
        for command in [
            ["run", "--count", "1"], ["jackpot", "--count", "1", "--port", "1"],
        ] {
            let run = try await SimulatorSmokeTests.sim(
                command + ["--url", "amqp://guest:guest@192.0.2.1:5672/"], in: directory, name: command[0])
            #expect(run.status == 64, "\(command): \(run.standardError)")
            #expect(
                run.standardError.contains("refusing to publish fake tickets to amqp://guest:****@192.0.2.1"))
        }
    }

    @Test func theProductionConfigurationsQueuesAreRefused() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let production = directory.appendingPathComponent("mts-relay.yaml")
        try """
        intake: {queue: platform.mts-copies}
        replies: {queues: [mts.replies.a, mts.replies.b]}
        """.write(to: production, atomically: true, encoding: .utf8)
        let guarded = ["--production-config", production.path, "--count", "1"]

        let intake = try await SimulatorSmokeTests.sim(
            ["run", "--intake", "platform.mts-copies", "--replies", "test.replies"] + guarded, in: directory,
            name: "intake")
        #expect(intake.status == 64)
        #expect(
            intake.standardError.contains("refusing to publish to platform.mts-copies: \(production.path)"))
        let replies = try await SimulatorSmokeTests.sim(
            ["run", "--intake", "test.intake", "--replies", "mts.replies.b"] + guarded, in: directory,
            name: "replies")
        #expect(replies.status == 64)
        #expect(replies.standardError.contains("refusing to publish to mts.replies.b"))
        // Left out of the file, the relay's defaults are its queues too (a broker that would
        // take the messages is named, so a refusal that did not come would show as exit 0).
        let sparse = directory.appendingPathComponent("sparse.yaml")
        try "replies: {queues: [mts.replies.a]}\n".write(to: sparse, atomically: true, encoding: .utf8)
        let defaults = try await SimulatorSmokeTests.sim(
            ["run", "--url", "amqp://guest:guest@127.0.0.1:1/", "--replies", "test.replies"]
                + ["--production-config", sparse.path, "--count", "1"],
            in: directory, name: "defaults")
        #expect(defaults.status == 64, "\(defaults.standardError)")
        #expect(defaults.standardError.contains("refusing to publish to mts-relay.intake"))
    }

    @Test func forcePublishesAnyway() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let production = directory.appendingPathComponent("mts-relay.yaml")
        let queue = "mts-sim-force.\(UUID().uuidString.prefix(6))"
        try "intake: {queue: \(queue).intake}\n".write(to: production, atomically: true, encoding: .utf8)
        let run = try await SimulatorSmokeTests.sim(
            [
                "run", "--url", DaemonHarness.brokerURL, "--intake", "\(queue).intake", "--replies",
                "\(queue).replies", "--production-config", production.path, "--count", "1", "--force",
            ], in: directory, name: "force")
        #expect(run.status == 0, "\(run.standardError)")
        _ = try await RabbitMQControl.run(["delete_queue", "\(queue).intake"])
        _ = try await RabbitMQControl.run(["delete_queue", "\(queue).replies"])
    }
}
