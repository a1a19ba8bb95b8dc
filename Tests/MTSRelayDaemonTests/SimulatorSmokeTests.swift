import AMQPClient
import Foundation
import Logging
import TestSupport
import Testing

/// `mts-sim` against the real `mts-relay run`: a mixed scenario with every fate, then
/// `mts-sim check` on the relay's file sink.
@Suite("mts-sim with mts-relay, end to end", .timeLimit(.minutes(3)))
struct SimulatorSmokeTests {
    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The built `mts-sim`, beside the test bundle or in `.build/debug`.
    static func executable() throws -> URL {
        try ConfigurationTestSupport.builtExecutable("mts-sim")
    }

    /// Runs `mts-sim` with `arguments`, its output in files of `directory`; waits without
    /// blocking a thread of the cooperative pool.
    static func sim(_ arguments: [String], in directory: URL, name: String) async throws -> Run {
        let outputURL = directory.appendingPathComponent("\(name).out")
        let errorURL = directory.appendingPathComponent("\(name).err")
        for url in [outputURL, errorURL] {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        try await waitUntil("mts-sim's exit", timeout: .seconds(300), every: .milliseconds(50)) {
            !process.isRunning
        }
        return Run(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "")
    }

    @Test func simulatedTrafficChecksCleanAndAMissingRecordIsNamed() async throws {
        // ticket-placement keeps the harness's 120 s, so drop and late go to the other kinds.
        let harness = try DaemonHarness(
            name: "sim",
            timeouts: """
                  ticket-placement-inform: 3000
                  ticket-cancel: 3000
                  casino-sessions-inform: 3000
                """)
        try await harness.startAndWait()
        let manifest = harness.directory.appendingPathComponent("manifest.jsonl").path

        let run = try await Self.sim(
            [
                "run", "--url", DaemonHarness.brokerURL, "--intake", harness.intakeQueue,
                "--replies", harness.replyQueue, "--count", "300", "--rate", "100",
                "--drop", "0.06", "--late", "0.06", "--duplicate", "0.06", "--unsolicited", "0.06",
                "--malformed", "0.08", "--reply-first", "0.06", "--anonymous-malformed", "0.25",
                "--error-replies", "0.05", "--accept-ratio", "0.8", "--latency-ms", "2..40",
                "--timeouts",
                "ticket-placement=120000,ticket-placement-inform=3000,ticket-cancel=3000,casino-sessions-inform=3000",
                "--unmatched-grace-ms", "300", "--seed", "42", "--prefix", harness.prefix,
                "--manifest", manifest,
            ], in: harness.directory, name: "run")
        #expect(run.status == 0, "stderr: \(run.standardError)\nstdout: \(run.standardOutput)")
        #expect(run.standardOutput.contains("expected outcome"))

        // Every fate, and an anonymous malformed reply, are in the scenario.
        let entries = try String(contentsOfFile: manifest, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(entries.count == 300)
        let fates = Set(entries.compactMap { $0["fate"] as? String })
        #expect(fates == ["normal", "reply-first", "drop", "late", "duplicate", "unsolicited", "malformed"])
        #expect(entries.contains { $0["malformation"] as? String == "anonymous" })

        let check = try await Self.sim(
            ["check", "--manifest", manifest, "--check", harness.resultsPath, "--wait-seconds", "20"],
            in: harness.directory, name: "check")
        #expect(
            check.status == 0, "\(check.standardOutput)\(check.standardError)\n\(harness.log.suffix(2000))")
        #expect(check.standardOutput.contains("OK: 300/300 correlation ids as expected"))

        // The same results without one `late` record: exit 1, naming its correlation id.
        let lines = try String(contentsOfFile: harness.resultsPath, encoding: .utf8).split(separator: "\n")
        let removedIndex = try #require(lines.firstIndex { $0.contains(#""outcome":"late""#) })
        let removed = try #require(
            JSONSerialization.jsonObject(with: Data(lines[removedIndex].utf8)) as? [String: Any])
        let removedId = try #require(removed["correlationId"] as? String)
        var kept = lines
        kept.remove(at: removedIndex)
        let truncated = harness.directory.appendingPathComponent("results-one-removed.jsonl")
        try (kept.joined(separator: "\n") + "\n").write(to: truncated, atomically: true, encoding: .utf8)
        let failing = try await Self.sim(
            ["check", "--manifest", manifest, "--results", truncated.path], in: harness.directory,
            name: "check-2")
        #expect(failing.status == 1)
        let mismatchLines = failing.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("MISMATCH") }
        #expect(
            mismatchLines == ["\(removedId) (late): missing late; expected [timeout, late], found [timeout]"])

        let (status, _) = try await harness.stop()
        #expect(status == 0)
        try await Self.deleteBrokerObjects(of: harness)
        await harness.tearDown()
    }

    /// Deletes the harness's queues and exchange: its tear-down does so only through the
    /// publisher connection, which this test, publishing with mts-sim, never opens.
    static func deleteBrokerObjects(of harness: DaemonHarness) async throws {
        var logger = Logger(label: "sim-smoke")
        logger.logLevel = .critical
        let connection = try await AMQPConnection.connect(
            AMQPConnectionConfiguration(url: DaemonHarness.brokerURL), logger: logger)
        let channel = try await connection.openChannel()
        for queue in [harness.intakeQueue, harness.replyQueue, harness.deadLetterQueue] {
            try await channel.deleteQueue(queue)
        }
        try await channel.deleteExchange(harness.deadLetterExchange)
        await connection.close()
    }

    @Test func checkExits64OnUsageAnd66OnInputErrors() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mts-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifest = directory.appendingPathComponent("manifest.jsonl")
        try "not a manifest\n".write(to: manifest, atomically: true, encoding: .utf8)

        let missingOption = try await Self.sim(
            ["check", "--manifest", manifest.path], in: directory, name: "a")
        #expect(missingOption.status == 64)
        #expect(missingOption.standardError.contains("--check"))
        let badManifest = try await Self.sim(
            ["check", "--manifest", manifest.path, "--check", "/nonexistent/results.jsonl"], in: directory,
            name: "b")
        #expect(badManifest.status == 66)
        #expect(
            badManifest.standardError.hasPrefix(
                "mts-sim check: \(manifest.path): line 1 is not an mts-sim run header"))
        let badRun = try await Self.sim(
            ["run", "--count", "10", "--drop", "0.7", "--late", "0.7"], in: directory, name: "c")
        #expect(badRun.status == 64)
        #expect(badRun.standardError.contains("add up to 1.4"))
    }
}
