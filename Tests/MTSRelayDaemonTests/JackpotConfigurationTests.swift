import Foundation
import Testing

@testable import MTSRelayDaemon

/// The `jackpot` section: its keys and defaults, the secret from the environment only, and
/// how `check-config` shows it (never the secret).
@Suite struct JackpotConfigurationTests {
    static let section = """
        jackpot:
          queue: platform.jackpot
          url: https://bet-engine.example/be/tickets
          operatorName: demo-operator
        """

    @Test func defaultsAndTheSecretFromTheEnvironment() throws {
        let loaded = try RelayConfiguration(
            yaml: Self.section, environment: ["MTS_RELAY_JACKPOT_SECRET": "s3cret"])
        var expected = RelayConfiguration.Jackpot(
            queue: "platform.jackpot", url: "https://bet-engine.example/be/tickets",
            operatorName: "demo-operator")
        expected.secret = "s3cret"
        #expect(loaded.jackpot == expected)
        #expect(expected.timeoutMs == 10_000 && expected.concurrency == 8 && expected.prefetch == 100)
        #expect(expected.caFile == nil)
        #expect(try RelayConfiguration(yaml: "", environment: [:]).jackpot == nil)
    }

    @Test func everyKeyIsRead() throws {
        let loaded = try RelayConfiguration(
            yaml: Self.section + """

                  timeoutMs: 2500
                  concurrency: 3
                  prefetch: 40
                  tls:
                    caFile: /etc/mts-relay/ca.pem
                """, environment: ["MTS_RELAY_JACKPOT_SECRET": "x"])
        let jackpot = try #require(loaded.jackpot)
        #expect(jackpot.timeoutMs == 2500 && jackpot.concurrency == 3 && jackpot.prefetch == 40)
        #expect(jackpot.caFile == "/etc/mts-relay/ca.pem")
    }

    @Test func aMissingSecretIsAnErrorNamingTheVariable() {
        let problems = ConfigurationTestSupport.problems(Self.section)
        #expect(problems.map(\.keyPath) == ["MTS_RELAY_JACKPOT_SECRET"])
        #expect(problems.first?.reason.contains("missing") == true)
    }

    @Test func problemsNameTheirKeyPaths() {
        let problems = ConfigurationTestSupport.problems(
            """
            jackpot:
              url: ftp://bet-engine.example/be/tickets
              timeoutMs: 0
              secret: in-the-file
            """, environment: ["MTS_RELAY_JACKPOT_SECRET": "x"])
        let paths = Set(problems.map(\.keyPath))
        #expect(
            paths.isSuperset(of: [
                "jackpot.queue", "jackpot.url", "jackpot.operatorName", "jackpot.timeoutMs",
            ]))
        #expect(paths.contains { $0.hasPrefix("jackpot") && $0.contains("secret") }, "\(problems)")
        #expect(
            ConfigurationTestSupport.problems(
                Self.section.replacingOccurrences(of: "platform.jackpot", with: "mts-relay.intake"),
                environment: ["MTS_RELAY_JACKPOT_SECRET": "x"]
            ).map(\.keyPath) == ["jackpot.queue"])
    }

    @Test func theDescriptionNeverShowsTheSecretAndLoadsAgain() throws {
        let loaded = try RelayConfiguration(
            yaml: Self.section, environment: ["MTS_RELAY_JACKPOT_SECRET": "hunter2-secret"])
        let text = loaded.resolvedDescription()
        #expect(!text.contains("hunter2-secret"))
        #expect(text.contains("# jackpot secret (MTS_RELAY_JACKPOT_SECRET): ****"))
        #expect(text.contains("operatorName: demo-operator"))
        let again = try RelayConfiguration(
            yaml: text, environment: ["MTS_RELAY_JACKPOT_SECRET": "hunter2-secret"])
        #expect(again.jackpot == loaded.jackpot)
    }

    @Test func theJackpotStoreSitsNextToTheMainOne() {
        var configuration = RelayConfiguration()
        configuration.store.path = "/var/lib/mts-relay/pending.sqlite"
        #expect(configuration.jackpotStorePath == "/var/lib/mts-relay/pending.jackpot.sqlite")
        configuration.store.path = "/data/pending.db"
        #expect(configuration.jackpotStorePath == "/data/pending.db.jackpot")
    }

    @Test func checkConfigReportsAMissingSecretAndMasksAPresentOne() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jackpot-\(UUID().uuidString).yaml")
        // The store's directory exists: check-config checks it (the default is the package's).
        try (Self.section + "\nstore: {path: /tmp/pending.sqlite}").write(
            to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let missing = try await CheckConfigCommandTests.run(["--config", file.path])
        #expect(missing.status == 78)
        #expect(missing.standardError.contains("MTS_RELAY_JACKPOT_SECRET: missing"))
        let present = try await CheckConfigCommandTests.run(
            ["--config", file.path], environment: ["MTS_RELAY_JACKPOT_SECRET": "hunter2-secret"])
        #expect(present.status == 0, "\(present.standardError)")
        #expect(present.standardOutput.contains("MTS_RELAY_JACKPOT_SECRET): ****"))
        #expect(!(present.standardOutput + present.standardError).contains("hunter2-secret"))
    }
}
