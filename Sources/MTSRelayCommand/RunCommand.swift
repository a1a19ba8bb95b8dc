import ArgumentParser
import Foundation
import Logging
import MTSRelayDaemon

/// `mts-relay run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: consume intake and replies, correlate, forward results to the sinks.")

    @Option(help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
    var config: String = RelayConfiguration.defaultPath

    func run() async throws {
        let configuration: RelayConfiguration
        do {
            configuration = try RelayConfiguration.load(
                path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            try Self.refuse(error.errors, config: config)
        }
        // Before connecting anything: a missing directory is the file's fault, not the host's.
        let directories = configuration.unwritableDirectories()
        if !directories.isEmpty { try Self.refuse(directories, config: config) }
        let level = Logger.Level(rawValue: configuration.log.level) ?? .info
        let format = configuration.log.format
        // Bootstrapped once, here: every part gets its Logger from this backend.
        LoggingSystem.bootstrap { label in RelayLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "mts-relay")
        var daemon = RelayDaemon(configuration: configuration, logger: logger)
        // Which build is running, on the start line: the version and the commit it was built from.
        daemon.startMetadata = [
            "version": "\(MTSRelayVersion.number)", "commit": "\(MTSRelayVersion.commit ?? "unknown")",
        ]
        do {
            try await daemon.run()
        } catch {
            logger.critical("mts-relay stopped on an error", metadata: ["error": "\(error)"])
            throw ExitStatus.failure
        }
    }

    private static func refuse(_ problems: [ConfigurationError], config: String) throws -> Never {
        let report = problems.map { "\($0)\n" }.joined()
        FileHandle.standardError.write(Data("mts-relay: invalid configuration \(config):\n\(report)".utf8))
        throw ExitStatus.configuration
    }
}
