import Foundation

/// A program a test needs from the machine (systemd-analyze, promtool, openssl...). On a
/// developer's laptop a test may skip when it is missing, and says so; on a CI machine
/// (`CI` set, as `.ci/run` runs) it must not: the test runs and fails, naming the package.
public enum RequiredTool {
    /// Whether missing tools fail the tests (`CI` is set).
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// The first of `candidates` that is an executable file.
    public static func find(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether a test that needs `path` runs: when it exists, and always on CI.
    public static func shouldRun(_ path: String?) -> Bool { path != nil || isCI }
}
