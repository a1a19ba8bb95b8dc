import AMQPClient
import ArgumentParser
import Foundation
import Logging
import MTSRelayDaemon

/// `mts-relay check-broker`: connects, round-trips messages through a temporary queue with
/// publisher confirms and manual acks, and reports the figures. An operator's first check
/// that the broker URL, credentials and vhost work.
struct CheckBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-broker",
        abstract: "Round-trip messages through a temporary queue on the broker and report.")

    @Option(
        help:
            "Broker URL (default: broker.url of --config, else $MTS_RELAY_BROKER_URL or amqp://guest:guest@127.0.0.1:5672/)."
    )
    var url: String?

    @Option(
        help: ArgumentHelp(
            "Check the broker of this configuration file, with its TLS settings (broker.tls) and the environment.",
            valueName: "file"))
    var config: String?

    @Option(help: "How many messages to round-trip.")
    var count: Int = 1000

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count: 0 or more") }
    }

    func run() async throws {
        let configuration = try connectionConfiguration()
        do {
            try await roundTrip(configuration)
        } catch {
            FileHandle.standardError.write(Data("mts-relay check-broker: \(configuration): \(error)\n".utf8))
            throw ExitStatus.unavailable
        }
        print("ok")
    }

    /// From `--config` (its broker URL, TLS settings and heartbeat; a bad file exits 78) with
    /// `--url` winning over its URL, or from `--url` and the environment alone.
    private func connectionConfiguration() throws -> AMQPConnectionConfiguration {
        let name = "mts-relay check-broker"
        let environment = ProcessInfo.processInfo.environment
        guard let config else {
            do {
                var configuration = try AMQPConnectionConfiguration(
                    url: url ?? environment["MTS_RELAY_BROKER_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/")
                configuration.connectionName = name
                return configuration
            } catch {
                throw ValidationError("--url: \(error)")
            }
        }
        let relay: RelayConfiguration
        do {
            relay = try RelayConfiguration.load(path: config, environment: environment)
        } catch {
            let report = error.errors.map { "\($0)\n" }.joined()
            FileHandle.standardError.write(
                Data("mts-relay check-broker: invalid configuration \(config):\n\(report)".utf8))
            throw ExitStatus.configuration
        }
        do {
            return try relay.brokerConnection(url: url ?? relay.broker.url, name: name)
        } catch {
            throw ValidationError("--url: \(error)")
        }
    }

    /// Connects, publishes `count` messages with confirms, consumes them back; prints each step.
    private func roundTrip(_ configuration: AMQPConnectionConfiguration) async throws {
        var logger = Logger(label: "mts-relay")
        logger.logLevel = .warning

        let clock = ContinuousClock()
        let start = clock.now
        let connection = try await AMQPConnection.connect(configuration, logger: logger)
        let connected = clock.now - start
        print("connected to \(configuration) in \(connected.milliseconds) ms")

        let channel = try await connection.openChannel(publisherConfirms: true)
        let queue = "mts-relay.check-broker.\(UUID().uuidString.prefix(8))"
        try await channel.declareQueue(queue, durable: false, exclusive: true, autoDelete: true)

        let publishStart = clock.now
        for index in 0..<count {
            let confirmation = try await channel.publish(Array("check \(index)".utf8), routingKey: queue)
            guard confirmation == .acked else { throw ValidationError("the broker nacked message \(index)") }
        }
        let published = clock.now - publishStart
        print("published \(count) messages, each confirmed, in \(published.milliseconds) ms")

        // Nothing to wait for with --count 0: connecting and declaring was the check.
        if count > 0 {
            let consumeStart = clock.now
            let consumerChannel = try await connection.openChannel()
            try await consumerChannel.setPrefetch(200)
            var received = 0
            for try await delivery in try await consumerChannel.consume(queue: queue) {
                delivery.ack()
                received += 1
                if received == count { break }
            }
            let consumed = clock.now - consumeStart
            print("consumed and acked \(received) messages in \(consumed.milliseconds) ms")
        }
        await connection.close()
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
