import Foundation
import TestSupport
import Testing

/// `--version` and the exit statuses every command shares (docs/exit-status.md).
@Suite("mts-relay: version and exit statuses")
struct ExitStatusTests {
    static func relay(_ arguments: [String]) async throws -> CheckConfigCommandTests.Run {
        let finished = try await ChildProcess.run(
            try CheckConfigCommandTests.executable().path, arguments, environment: ["PATH": "/usr/bin:/bin"])
        return CheckConfigCommandTests.Run(
            status: finished.status, standardOutput: finished.output, standardError: finished.errors)
    }

    /// A plain `swift build` has no commit; scripts/lib/build-info.sh embeds one.
    @Test func versionNamesTheCommitOrSaysItIsUnknown() async throws {
        let run = try await Self.relay(["--version"])
        #expect(run.status == 0)
        let line = run.standardOutput.trimmingCharacters(in: .newlines)
        let pattern = try Regex(#"^\d+\.\d+\.\d+ \((commit [0-9a-f]{12}(-dirty)?|unknown commit)\)$"#)
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test func usageErrorsExit64InEveryCommand() async throws {
        for arguments in [
            ["run", "--bogus"], ["check-config", "--bogus"], ["check-broker", "--count", "-1"],
            ["validate", "--bogus"], ["--bogus"],
        ] {
            #expect(try await Self.relay(arguments).status == 64, "\(arguments)")
        }
    }

    @Test func anUnreadableInputExits66AndAnUnreachableBrokerExits69() async throws {
        #expect(try await Self.relay(["validate", "/nonexistent/\(UUID()).json"]).status == 66)
        let closed = try LoopbackPort.free()
        let broker = try await Self.relay([
            "check-broker", "--count", "1", "--url", "amqp://guest:guest@127.0.0.1:\(closed)/",
        ])
        #expect(broker.status == 69)
        #expect(
            broker.standardError.hasPrefix("mts-relay check-broker: amqp://guest:****@127.0.0.1:\(closed)"))
    }

    @Test func runExits78OnAnInvalidConfiguration() async throws {
        let missing = try await Self.relay(["run", "--config", "/nonexistent/\(UUID()).yaml"])
        #expect(missing.status == 78)
        #expect(missing.standardError.contains("cannot read the configuration: no such file"))
    }

    @Test func checkBrokerWithCountZeroConnectsAndReturns() async throws {
        let run = try await Self.relay(["check-broker", "--count", "0", "--url", DaemonHarness.brokerURL])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasSuffix("ok\n"))
    }

    @Test func theStartLineNamesTheVersionAndTheCommit() async throws {
        let harness = try DaemonHarness(name: "start-line")
        try await harness.startAndWait()
        let start = harness.log.split(separator: "\n").first { $0.contains("msg=\"mts-relay starting\"") }
        #expect(start?.contains(" version=") == true, "\(harness.log)")
        #expect(start?.contains(" commit=") == true, "\(harness.log)")
        let (status, _) = try await harness.stop()
        #expect(status == 0)
        await harness.tearDown()
    }
}
