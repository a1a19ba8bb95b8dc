import ArgumentParser

/// The `mts-relay` command line: the daemon and its tools, one subcommand each.
@main
struct MTSRelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mts-relay",
        abstract: "Pairs Sportradar MTS replies with their requests and forwards every result.",
        version: MTSRelayVersion.current,
        subcommands: [
            // Each subcommand is one file in this folder; register it here.
            CheckBrokerCommand.self,
            ValidateCommand.self,
            CheckConfigCommand.self,
            RunCommand.self,
            InspectCommand.self,
            PendingCommand.self,
            ReplayCommand.self,
        ]
    )
}
