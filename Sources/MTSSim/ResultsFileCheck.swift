import Foundation
import MTSSimulation

/// Reads a relay file sink, re-reading it while results may still come, and checks it against a
/// manifest.
enum ResultsFileCheck {
    /// Checks `resultsPath` against `manifest` until it matches, or until `waitSeconds` after
    /// the manifest's last due time (at once with 0). A missing file has no results yet.
    /// Throws when the file cannot be read or holds a line that is not a result record.
    static func check(
        manifest: RunManifest, resultsPath: String, waitSeconds: Double
    ) async throws -> CheckReport {
        let lastDue = manifest.entries.map(\.dueAt).max() ?? manifest.header.finishedAt
        let giveUpAt = Double(lastDue) / 1000 + waitSeconds
        while true {
            let data =
                FileManager.default.fileExists(atPath: resultsPath)
                ? try Data(contentsOf: URL(fileURLWithPath: resultsPath)) : Data()
            let report = ResultChecker.check(
                manifest: manifest, results: try ObservedResult.parse(jsonLines: data))
            if report.isMatch || Date().timeIntervalSince1970 >= giveUpAt { return report }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Prints one line per mismatch and the summary.
    static func print(_ report: CheckReport) {
        for mismatch in report.mismatches { Swift.print(mismatch) }
        Swift.print(report.summary)
    }
}
