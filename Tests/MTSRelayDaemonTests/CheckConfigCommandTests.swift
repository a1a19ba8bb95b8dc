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

    static func run(
        _ arguments: [String], environment: [String: String] = [:], in directory: URL = Support.packageRoot
    ) async throws -> Run {
        // A clean environment, so that the machine's MTS_RELAY_* variables do not interfere.
        let finished = try await ChildProcess.run(
            try executable().path, ["check-config"] + arguments,
            environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }, in: directory)
        return Run(status: finished.status, standardOutput: finished.output, standardError: finished.errors)
    }

    /// A new directory with a `var/` in it, where the demo's relative paths resolve.
    static func demoDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mts-relay-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("var"), withIntermediateDirectories: true)
        return directory
    }

    @Test func validFileExitsZeroAndPrintsItMasked() async throws {
        let directory = try Self.demoDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await Self.run(["--config", Support.demoPath], in: directory)
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardError.isEmpty)
        #expect(run.standardOutput.hasPrefix("# \(Support.demoPath): valid"))
        #expect(run.standardOutput.contains("url: amqp://guest:****@127.0.0.1:5672\n"))
        #expect(run.standardOutput.contains("path: var/pending.sqlite\n"))
        #expect(run.standardOutput.contains("path: var/results.jsonl\n"))
        #expect(!run.standardOutput.contains("guest:guest"))

        let quiet = try await Self.run(["--config", Support.demoPath, "--quiet"], in: directory)
        #expect(quiet.status == 0, "stderr: \(quiet.standardError)")
        #expect(quiet.standardOutput.isEmpty && quiet.standardError.isEmpty)
    }

    @Test func environmentIsApplied() async throws {
        let directory = try Self.demoDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await Self.run(
            ["--config", Support.demoPath],
            environment: ["MTS_RELAY_BROKER_URL": "amqp://ops:hunter2@mq.example/"], in: directory)
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardOutput.contains("url: amqp://ops:****@mq.example:5672\n"))
        #expect(!run.standardOutput.contains("hunter2"))
    }

    @Test func productionTemplateIsValidWithOnlyTheBrokerURLSet() async throws {
        let directory = try Self.demoDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("mts-relay.yaml")
        try Support.productionTemplate(under: directory).write(to: file, atomically: true, encoding: .utf8)
        let run = try await Self.run(
            ["--config", file.path],
            environment: ["MTS_RELAY_BROKER_URL": "amqps://relay:hunter2@mq.example/"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardOutput.contains("listen: 127.0.0.1:9464"), "\(run.standardOutput)")
        #expect(!run.standardOutput.contains("hunter2"))
    }

    @Test func aDirectoryTheRelayWritesToMustExistAndBeADirectory() async throws {
        let directory = try Self.demoDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing")
        let notADirectory = directory.appendingPathComponent("file")
        try "".write(to: notADirectory, atomically: true, encoding: .utf8)
        let file = directory.appendingPathComponent("mts-relay.yaml")
        try """
        store: {path: \(missing.path)/pending.sqlite}
        sinks:
          - {type: file, path: \(notADirectory.path)/results.jsonl}
          - {type: http, url: "http://127.0.0.1:9/x", deadLetterPath: \(missing.path)/refused.jsonl}
          - {type: file, name: fine, path: results.jsonl}
        """.write(to: file, atomically: true, encoding: .utf8)

        let run = try await Self.run(["--config", file.path], in: directory)
        #expect(run.status == 78)
        #expect(run.standardOutput.isEmpty)
        let lines = run.standardError.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "store.path: the directory \(missing.path) of \(missing.path)/pending.sqlite does not exist "
                    + "(the relay never creates it)",
                "sinks[0].path: \(notADirectory.path) is not a directory",
                "sinks[1].deadLetterPath: the directory \(missing.path) of \(missing.path)/refused.jsonl does "
                    + "not exist (the relay never creates it)",
                "mts-relay check-config: 3 problems in \(file.path)",
            ])
    }

    @Test func invalidFileExits78WithOneLinePerProblem() async throws {
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
        #expect(run.status == 78)
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
        store: {path: /tmp/pending.sqlite}
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

    @Test func missingFileExits78NamingThePath() async throws {
        let path = "/nonexistent/mts-relay-\(UUID().uuidString).yaml"
        let run = try await Self.run(["--config", path])
        #expect(run.status == 78)
        #expect(run.standardError.hasPrefix("\(path): cannot read the configuration: no such file\n"))
    }
}

extension CheckConfigCommandTests {
    /// `--env-file`: the unit's environment file, read as systemd would, its variables winning.
    @Test func theUnitsEnvironmentFileIsRead() async throws {
        let directory = try Self.demoDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let env = directory.appendingPathComponent("env")
        try """
        # mts-relay's secrets
        MTS_RELAY_BROKER_URL="amqps://ops:hunter2@mq.example/"

        ; another comment
        MTS_RELAY_INTAKE_URL = amqp://intake:hunter3@intake.example/
        """.write(to: env, atomically: true, encoding: .utf8)
        let run = try await Self.run(
            ["--config", Support.demoPath, "--env-file", env.path],
            environment: ["MTS_RELAY_BROKER_URL": "amqp://loser@elsewhere/"], in: directory)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(
            run.standardOutput.contains("url: amqps://ops:****@mq.example:5671\n"), "\(run.standardOutput)")
        #expect(run.standardOutput.contains("amqp://intake:****@intake.example:5672"))
        #expect(!(run.standardOutput + run.standardError).contains("hunter"))

        try "MTS_RELAY_BROKER_URL='amqp://x:hunter4@y/\nnot a line\n".write(
            to: env, atomically: true, encoding: .utf8)
        let broken = try await Self.run(
            ["--config", Support.demoPath, "--env-file", env.path], in: directory)
        #expect(broken.status == 78)
        #expect(
            broken.standardError.split(separator: "\n").map(String.init) == [
                "\(env.path):1: MTS_RELAY_BROKER_URL: the quote is not closed on its line",
                "\(env.path):2: expected NAME=VALUE",
                "mts-relay check-config: 2 problems in \(Support.demoPath)",
            ])
        #expect(!broken.standardError.contains("hunter"))
    }
}
