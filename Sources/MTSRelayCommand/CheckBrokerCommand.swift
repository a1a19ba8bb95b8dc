import AMQPClient
import ArgumentParser
import Foundation
import Logging

/// `mts-relay check-broker`: connects, round-trips messages through a temporary queue with
/// publisher confirms and manual acks, and reports the figures. An operator's first check
/// that the broker URL, credentials and vhost work.
struct CheckBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-broker",
        abstract: "Round-trip messages through a temporary queue on the broker and report.")

    @Option(help: "Broker URL (default: $MTS_RELAY_BROKER_URL or amqp://guest:guest@127.0.0.1:5672/).")
    var url: String?

    @Option(help: "How many messages to round-trip.")
    var count: Int = 1000

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count: 0 or more") }
    }

    func run() async throws {
        let url =
            url ?? ProcessInfo.processInfo.environment["MTS_RELAY_BROKER_URL"]
            ?? "amqp://guest:guest@127.0.0.1:5672/"
        var configuration: AMQPConnectionConfiguration
        do {
            configuration = try AMQPConnectionConfiguration(url: url)
        } catch {
            throw ValidationError("--url: \(error)")
        }
        configuration.connectionName = "mts-relay check-broker"
        do {
            try await roundTrip(configuration)
        } catch {
            FileHandle.standardError.write(Data("mts-relay check-broker: \(configuration): \(error)\n".utf8))
            throw ExitStatus.unavailable
        }
        print("ok")
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
