import ArgumentParser
import Foundation

/// The `mts-sim` command line: plays the platform and MTS against a broker, and checks a
/// relay's results against what it sent.
@main
struct MTSSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mts-sim",
        abstract: "Plays the platform and Sportradar MTS against RabbitMQ, and checks mts-relay's results.",
        discussion: "Exit status: 0 success, 1 a check found a mismatch (or a run failed), 2 a usage error.",
        subcommands: [RunCommand.self, CheckCommand.self, JackpotCommand.self],
        defaultSubcommand: RunCommand.self
    )

    /// Runs the chosen subcommand; usage errors exit 2 (not ArgumentParser's 64), so that
    /// `check` has one status for "could not check".
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
