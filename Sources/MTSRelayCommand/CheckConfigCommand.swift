import ArgumentParser
import Foundation
import MTSRelayDaemon

/// `mts-relay check-config`: loads the configuration file as `mts-relay run` would (file, then
/// environment), prints the resolved configuration with secrets masked and exits 0, or prints
/// every problem as `<keyPath>: <reason>` on stderr and exits 78 (``ExitStatus/configuration``).
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration file and print it resolved, secrets masked.",
        discussion: """
            Applies MTS_RELAY_BROKER_URL, MTS_RELAY_INTAKE_URL and the ${NAME} header values \
            from the environment, as the daemon does, and checks that every directory the relay \
            writes to (the SQLite store's, each file sink's, each http sink's dead-letter file's) \
            exists and is writable by this user. Exits 0 when the configuration is valid, 78 \
            (EX_CONFIG) with one line per problem on stderr when it is not. Warns on stderr when the file holds a \
            password in a URL and can be read by group or others. --env-file reads the unit's \
            environment file (/etc/mts-relay/env) first, as systemd would: its variables win.
            """)

    @Option(help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
    var config: String = RelayConfiguration.defaultPath

    @Flag(help: "Print nothing when the configuration is valid (for the unit's ExecStartPre=).")
    var quiet = false

    @Option(
        help: ArgumentHelp(
            "A systemd environment file (NAME=VALUE lines) whose variables win over the environment.",
            valueName: "file"))
    var envFile: String?

    func run() throws {
        var environment = ProcessInfo.processInfo.environment
        if let envFile {
            switch EnvironmentFile(path: envFile).variables() {
            case .success(let variables): environment.merge(variables) { _, file in file }
            case .failure(let problems): try Self.fail(problems.errors, config: config)
            }
        }
        let loaded: RelayConfiguration
        do {
            loaded = try RelayConfiguration.load(path: config, environment: environment)
        } catch {
            try Self.fail(error.errors, config: config)
        }
        let directories = loaded.unwritableDirectories()
        if !directories.isEmpty { try Self.fail(directories, config: config) }
        let warnings = RelayConfiguration.fileSecretWarnings(path: config, environment: environment)
        if !warnings.isEmpty {
            FileHandle.standardError.write(Data(warnings.map { "\($0)\n" }.joined().utf8))
        }
        if quiet { return }
        print("# \(config): valid (resolved with the environment; secrets masked)")
        print(loaded.resolvedDescription(), terminator: "")
    }

    /// One line per problem and a count on standard error, then the configuration status.
    private static func fail(_ problems: [ConfigurationError], config: String) throws -> Never {
        var report = problems.map { "\($0)\n" }.joined()
        let count = problems.count
        report += "mts-relay check-config: \(count) problem\(count == 1 ? "" : "s") in \(config)\n"
        FileHandle.standardError.write(Data(report.utf8))
        throw ExitStatus.configuration
    }
}
