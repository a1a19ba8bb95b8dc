import Foundation
import Testing

@testable import MTSRelayDaemon

/// Shared helpers of the configuration tests.
enum ConfigurationTestSupport {
    /// The package root, derived from this file's path (Tests/MTSRelayDaemonTests/...).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A product of this package (`mts-relay`, `mts-sim`): beside the test bundle (any build
    /// directory), else in `.build/debug`.
    static func builtExecutable(_ name: String) throws -> URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        let debug = packageRoot.appendingPathComponent(".build/debug/\(name)")
        try #require(
            FileManager.default.isExecutableFile(atPath: debug.path),
            "\(name) is not built; run `swift build --product \(name)` first")
        return debug
    }

    /// The production template shipped in the repository (and in the package), every key in it.
    static let examplePath = packageRoot.appendingPathComponent("config/mts-relay.yaml").path

    /// The demo's configuration: only its overrides of the defaults, relative paths under var/.
    static let demoPath = packageRoot.appendingPathComponent("config/demo.yaml").path

    /// The production template with its /var/lib/mts-relay paths moved under `directory`, so
    /// that a test can run it on a machine without the package's state directory.
    static func productionTemplate(under directory: URL) throws -> String {
        try String(contentsOfFile: examplePath, encoding: .utf8)
            .replacingOccurrences(of: "/var/lib/mts-relay/", with: directory.path + "/")
    }

    /// Every problem loading `yaml` reports; empty when it loads.
    static func problems(_ yaml: String, environment: [String: String] = [:]) -> [ConfigurationError] {
        do {
            _ = try RelayConfiguration(yaml: yaml, environment: environment)
            return []
        } catch {
            return error.errors
        }
    }

    /// The one problem loading `yaml` reports; records an issue when there is not exactly one.
    static func onlyProblem(
        _ yaml: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) -> ConfigurationError? {
        let found = problems(yaml, environment: environment)
        guard found.count == 1 else {
            Issue.record(
                "expected exactly one problem, found \(found.count): \(found)", sourceLocation: sourceLocation
            )
            return nil
        }
        return found[0]
    }

    /// Loads `yaml`, recording the problems as an issue when it does not load.
    static func load(_ yaml: String, environment: [String: String] = [:]) throws -> RelayConfiguration {
        do {
            return try RelayConfiguration(yaml: yaml, environment: environment)
        } catch {
            Issue.record("unexpected problems:\n\(error)")
            throw error
        }
    }
}
