import ArgumentParser
import Foundation

/// The `mts-sim` command line: plays the platform and MTS against a broker, and checks a
/// relay's results against what it sent.
@main
struct MTSSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mts-sim",
        abstract: "Plays the platform and Sportradar MTS against RabbitMQ, and checks mts-relay's results.",
        discussion: """
            Exit status (as mts-relay's, docs/exit-status.md): 0 success, 1 a check found a \
            mismatch (or a run failed), 64 a usage error, 66 an input file that cannot be read.
            """,
        subcommands: [RunCommand.self, CheckCommand.self, JackpotCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
