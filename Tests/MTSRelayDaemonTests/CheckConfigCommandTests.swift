import Foundation
import TestSupport
import Testing

/// Runs the built `mts-relay` executable, as an operator would.
@Suite("mts-relay check-config")
struct CheckConfigCommandTests {
    typealias Support = ConfigurationTestSupport

    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The built `mts-relay`, beside the test bundle or in `.build/debug`.
    static func executable() throws -> URL {
        try ConfigurationTestSupport.builtExecutable("mts-relay")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        // A clean environment, so that the machine's MTS_RELAY_* variables do not interfere.
        let finished = try await ChildProcess.run(
            try executable().path, ["check-config"] + arguments,
            environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }, in: Support.packageRoot)
        return Run(status: finished.status, standardOutput: finished.output, standardError: finished.errors)
    }

    @Test func validFileExitsZeroAndPrintsItMasked() async throws {
        let run = try await Self.run(["--config", "config/mts-relay.yaml"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardError.isEmpty)
        #expect(run.standardOutput.hasPrefix("# config/mts-relay.yaml: valid"))
        #expect(run.standardOutput.contains("url: amqp://guest:****@127.0.0.1:5672\n"))
        #expect(run.standardOutput.contains("path: var/pending.sqlite\n"))
        #expect(run.standardOutput.contains("path: var/results.jsonl\n"))
        #expect(!run.standardOutput.contains("guest:guest"))
    }

    @Test func environmentIsApplied() async throws {
        let run = try await Self.run(
            ["--config", "config/mts-relay.yaml"],
            environment: ["MTS_RELAY_BROKER_URL": "amqp://ops:hunter2@mq.example/"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardOutput.contains("url: amqp://ops:****@mq.example:5672\n"))
        #expect(!run.standardOutput.contains("hunter2"))
    }

    @Test func invalidFileExitsOneWithOneLinePerProblem() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mts-relay-\(UUID().uuidString).yaml")
        try """
        broker:
          url: amqp://relay:hunter2@broker:99999/
        intake:
          prefetch: "17"
        sinks:
          - type: file
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let run = try await Self.run(["--config", file.path])
        #expect(run.status == 1)
        #expect(run.standardOutput.isEmpty)
        let lines = run.standardError.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.first?.hasPrefix("broker.url: invalid AMQP URL: port '99999'") == true)
        #expect(
            lines.dropFirst().first?.hasPrefix("intake.prefetch: expected an integer, found a string") == true
        )
        #expect(
            lines.dropFirst(2).first
                == "sinks[0].path: missing required key (the file results are appended to)")
        #expect(lines.last == "mts-relay check-config: 3 problems in \(file.path)")
        #expect(!run.standardError.contains("hunter2"))
    }

    @Test func passwordInAURLOfAFileOthersCanReadIsWarnedAbout() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mts-relay-\(UUID().uuidString).yaml")
        try """
        broker:
          url: amqp://relay:hunter2@broker.example/
        sinks:
          - {type: amqp, url: "amqps://pub:hunter3@pub.example/", exchange: results}
          - {type: file, path: /tmp/x.jsonl}
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        chmod(file.path, 0o644)
        let readable = try await Self.run(["--config", file.path])
        #expect(readable.status == 0)
        let warnings = readable.standardError.split(separator: "\n").map(String.init)
        #expect(
            warnings == [
                "warning: broker.url: \(file.path) holds a password in this URL and can be read by others "
                    + "(mode 0644); set MTS_RELAY_BROKER_URL in the environment file (/etc/mts-relay/env, "
                    + "mode 0600), or chmod 0600 \(file.path)",
                "warning: sinks[0].url: \(file.path) holds a password in this URL and can be read by others "
                    + "(mode 0644); keep the file at mode 0600, or chmod 0600 \(file.path)",
            ])
        #expect(!readable.standardError.contains("hunter"))
        #expect(!readable.standardOutput.contains("hunter"))

        chmod(file.path, 0o600)
        let ownerOnly = try await Self.run(["--config", file.path])
        #expect(ownerOnly.status == 0)
        #expect(ownerOnly.standardError.isEmpty)
    }

    @Test func missingFileExitsOneNamingThePath() async throws {
        let path = "/nonexistent/mts-relay-\(UUID().uuidString).yaml"
        let run = try await Self.run(["--config", path])
        #expect(run.status == 1)
        #expect(run.standardError.hasPrefix("\(path): cannot read the configuration: no such file\n"))
    }
}
