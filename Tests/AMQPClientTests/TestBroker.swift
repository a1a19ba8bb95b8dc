import AMQPClient
import Foundation
import Logging
import TestSupport

/// The RabbitMQ server the integration tests talk to: `MTS_RELAY_AMQP_URL`, by default
/// `amqp://guest:guest@127.0.0.1:5672/`, and its TLS listener, `MTS_RELAY_AMQPS_URL`, by default
/// `amqps://guest:guest@localhost:5671/` with the test CA of `scripts/make-test-certs.sh`.
/// `rabbitmqctl` (or `MTS_RELAY_RABBITMQCTL`) is the fault injector.
enum TestBroker {
    /// How a test reaches the broker; the tests that run both ways take it as an argument.
    enum Transport: String, CaseIterable, Sendable, CustomStringConvertible {
        case plain, tls
        var description: String { rawValue }
    }

    static var url: String {
        ProcessInfo.processInfo.environment["MTS_RELAY_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/"
    }

    static var tlsURL: String {
        ProcessInfo.processInfo.environment["MTS_RELAY_AMQPS_URL"] ?? "amqps://guest:guest@localhost:5671/"
    }

    /// The folder of the test certificates: `MTS_RELAY_TLS_DIR`, by default the repository's
    /// `var/tls` (made by `scripts/make-test-certs.sh`, which `scripts/setup.sh` runs).
    static var tlsDirectory: String {
        if let directory = ProcessInfo.processInfo.environment["MTS_RELAY_TLS_DIR"] { return directory }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("var/tls").path
    }

    /// A file of the test certificates, e.g. `ca.pem`.
    static func tlsFile(_ name: String) -> String { "\(tlsDirectory)/\(name)" }

    /// TLS settings trusting the test CA, verification on.
    static var testCA: AMQPConnectionConfiguration.TLS { .init(caFile: tlsFile("ca.pem")) }

    static let logger: Logger = {
        var logger = Logger(label: "amqp-tests")
        logger.logLevel = .warning
        return logger
    }()

    /// A name no other test (or earlier run) uses.
    static func uniqueName(_ prefix: String) -> String {
        "mts-relay-test.\(prefix).\(UUID().uuidString.prefix(8))"
    }

    static func configuration(
        name: String, heartbeatSeconds: Int = 20, transport: Transport = .plain
    ) throws -> AMQPConnectionConfiguration {
        var configuration =
            switch transport {
            case .plain: try AMQPConnectionConfiguration(url: url)
            case .tls: try AMQPConnectionConfiguration(url: tlsURL, tls: testCA)
            }
        configuration.connectionName = name
        configuration.heartbeatSeconds = heartbeatSeconds
        return configuration
    }

    static func connect(
        _ name: String = uniqueName("conn"), heartbeatSeconds: Int = 20, transport: Transport = .plain
    ) async throws
        -> AMQPConnection
    {
        try await AMQPConnection.connect(
            configuration(name: name, heartbeatSeconds: heartbeatSeconds, transport: transport),
            logger: logger)
    }

    /// The broker's line for the connection with this client-provided name:
    /// its Erlang pid and negotiated heartbeat timeout.
    static func brokerConnection(named name: String) async throws -> (pid: String, heartbeatSeconds: Int)? {
        let listing = try await RabbitMQControl.run([
            "list_connections", "-q", "--no-table-headers", "pid", "timeout", "client_properties",
        ])
        for line in listing.split(separator: "\n") where line.contains("\"\(name)\"") {
            let fields = line.split(separator: "\t")
            guard fields.count >= 2 else { continue }
            return (String(fields[0]), Int(fields[1]) ?? -1)
        }
        return nil
    }

    /// Publishes bodies to a queue through the default exchange, each confirmed.
    static func fill(
        _ queue: String, on connection: AMQPConnection, bodies: [[UInt8]],
        properties: AMQPProperties = .init()
    )
        async throws
    {
        let channel = try await connection.openChannel(publisherConfirms: true)
        try await withThrowingTaskGroup(of: AMQPPublishConfirmation.self) { group in
            for body in bodies {
                group.addTask { try await channel.publish(body, routingKey: queue, properties: properties) }
            }
            for try await confirmation in group where confirmation != .acked {
                throw AMQPError(code: .protocolViolation, reason: "publish was \(confirmation)")
            }
        }
        try await channel.close()
    }
}

extension AsyncSequence where Element == AMQPDelivery {
    /// The next delivery, or nil when the sequence ended.
    func first() async throws -> AMQPDelivery? {
        var iterator = makeAsyncIterator()
        return try await iterator.next()
    }
}
