import ArgumentParser
import Foundation
import MTSSimulation

/// `mts-sim check`: compares a relay file sink with a run's manifest.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare mts-relay's file sink with a run's manifest.",
        discussion: """
            Prints one line per correlation id whose results differ (missing or unexpected \
            outcomes) and a summary. Exit status: 0 all as expected, 1 a mismatch, 64 a usage \
            error, 66 a manifest or results file that cannot be read. A redelivered record repeating an owed outcome is allowed (at-least-once); \
            records of ids without the run's prefix are ignored; invalid records without an id \
            are counted against the run's anonymous malformed replies.
            """)

    @Option(
        name: [.customLong("check"), .customLong("results")], help: "The relay's file sink (JSON lines).")
    var results: String

    @Option(help: "The manifest `mts-sim run --manifest` wrote.")
    var manifest: String

    @Option(
        help: """
            Re-read the results until they match or this many seconds passed since the last \
            result was due (0: read once).
            """)
    var waitSeconds: Double = 0

    func run() async throws {
        let manifest: RunManifest
        do {
            manifest = try RunManifest(jsonLines: Data(contentsOf: URL(fileURLWithPath: self.manifest)))
        } catch {
            Self.fail("\(self.manifest): \(error)")
        }
        let report: CheckReport
        do {
            report = try await ResultsFileCheck.check(
                manifest: manifest, resultsPath: results, waitSeconds: waitSeconds)
        } catch {
            Self.fail("\(results): \(error)")
        }
        ResultsFileCheck.print(report)
        if !report.isMatch { throw ExitCode(1) }
    }

    /// Reports an input file that cannot be read on standard error and exits 66 (EX_NOINPUT,
    /// as mts-relay: docs/exit-status.md).
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("mts-sim check: \(message)\n".utf8))
        Foundation.exit(66)
    }
}
