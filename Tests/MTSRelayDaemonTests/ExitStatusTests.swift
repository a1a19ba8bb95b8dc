import Foundation
import TestSupport
import Testing

/// `--version` and the exit statuses every command shares (docs/exit-status.md).
@Suite("mts-relay: version and exit statuses")
struct ExitStatusTests {
    static func relay(_ arguments: [String]) throws -> CheckConfigCommandTests.Run {
        let process = Process()
        process.executableURL = try CheckConfigCommandTests.executable()
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CheckConfigCommandTests.Run(
            status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }

    /// A plain `swift build` has no commit; scripts/lib/build-info.sh embeds one.
    @Test func versionNamesTheCommitOrSaysItIsUnknown() throws {
        let run = try Self.relay(["--version"])
        #expect(run.status == 0)
        let line = run.standardOutput.trimmingCharacters(in: .newlines)
        let pattern = try Regex(#"^\d+\.\d+\.\d+ \((commit [0-9a-f]{12}(-dirty)?|unknown commit)\)$"#)
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test func usageErrorsExit64InEveryCommand() throws {
        for arguments in [
            ["run", "--bogus"], ["check-config", "--bogus"], ["check-broker", "--count", "-1"],
            ["validate", "--bogus"], ["--bogus"],
        ] {
            #expect(try Self.relay(arguments).status == 64, "\(arguments)")
        }
    }

    @Test func anUnreadableInputExits66AndAnUnreachableBrokerExits69() throws {
        #expect(try Self.relay(["validate", "/nonexistent/\(UUID()).json"]).status == 66)
        let closed = try LoopbackPort.free()
        let broker = try Self.relay([
            "check-broker", "--count", "1", "--url", "amqp://guest:guest@127.0.0.1:\(closed)/",
        ])
        #expect(broker.status == 69)
        #expect(
            broker.standardError.hasPrefix("mts-relay check-broker: amqp://guest:****@127.0.0.1:\(closed)"))
    }

    @Test func runExits78OnAnInvalidConfiguration() throws {
        let missing = try Self.relay(["run", "--config", "/nonexistent/\(UUID()).yaml"])
        #expect(missing.status == 78)
        #expect(missing.standardError.contains("cannot read the configuration: no such file"))
    }

    @Test func checkBrokerWithCountZeroConnectsAndReturns() async throws {
        let run = try Self.relay(["check-broker", "--count", "0", "--url", DaemonHarness.brokerURL])
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
