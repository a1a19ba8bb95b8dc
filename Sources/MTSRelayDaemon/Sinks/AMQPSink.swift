import AMQPClient
import Logging
import Synchronization

/// Publishes each record to an exchange on a broker connection of its own (which may be
/// another broker), with publisher confirms; a record counts as accepted once confirmed.
///
/// `run()` keeps the connection up (reconnecting with backoff, like the consumers) and
/// declares the exchange (topic, durable) when it does not exist with another type. A
/// `write` while disconnected, a nack or a lost connection is a retryable failure: the shared
/// retry (`SinkRoute`) tries the batch again, so a record may reach the exchange twice, never
/// zero times.
public final class AMQPSink: ResultSink {
    public let name: String
    let connection: AMQPConnectionConfiguration
    let exchange: String
    let routingKeyTemplate: String
    let logger: Logger
    /// The channel of the current connection, nil while disconnected.
    private let current = Mutex<AMQPChannel?>(nil)

    init(
        name: String, connection: AMQPConnectionConfiguration, exchange: String, routingKeyTemplate: String,
        logger: Logger
    ) {
        self.name = name
        self.connection = connection
        self.exchange = exchange
        self.routingKeyTemplate = routingKeyTemplate
        self.logger = logger
    }

    /// `{outcome}` and `{operation}` replaced; a record without an operation uses `none`.
    static func routingKey(template: String, outcome: ResultRecord.Outcome, operation: String?) -> String {
        template.replacingOccurrences(of: "{outcome}", with: outcome.rawValue)
            .replacingOccurrences(of: "{operation}", with: operation ?? "none")
    }

    public func write(_ records: [SinkRecord]) async throws {
        guard let channel = current.withLock({ $0 }) else {
            throw SinkError(sink: name, reason: "not connected to \(connection)")
        }
        do {
            try await withThrowingTaskGroup(of: AMQPPublishConfirmation.self) { group in
                for record in records {
                    let routingKey = Self.routingKey(
                        template: routingKeyTemplate, outcome: record.outcome, operation: record.operation)
                    group.addTask {
                        try await channel.publish(
                            record.json, exchange: self.exchange, routingKey: routingKey,
                            properties: AMQPProperties(
                                contentType: "application/json", deliveryMode: .persistent,
                                correlationID: record.correlationId, messageID: record.key,
                                type: record.outcome.rawValue))
                    }
                }
                for try await confirmation in group where confirmation != .acked {
                    throw SinkError(
                        sink: name, reason: "the broker nacked a record published to '\(exchange)'")
                }
            }
        } catch let error as SinkError {
            throw error
        } catch {
            throw SinkError(sink: name, reason: "publishing to '\(exchange)' failed: \(error)")
        }
    }

    public func run() async throws {
        let reconnecting = ReconnectingConnection(
            configuration: connection, role: "sink \(name)", logger: logger)
        try await reconnecting.run { connection in
            let channel = try await connection.openChannel(publisherConfirms: true)
            do {
                try await channel.declareExchange(exchange, type: "topic", durable: true)
            } catch let error as AMQPError where error.replyCode == 406 {
                // It exists with another type or arguments: someone else owns it; use it as is.
                logger.notice(
                    "Sink exchange exists with other settings; publishing to it as it is",
                    metadata: ["sink": "\(name)", "exchange": "\(exchange)", "reason": "\(error.reason)"])
                return try await publish(
                    on: try await connection.openChannel(publisherConfirms: true), until: connection)
            }
            try await publish(on: channel, until: connection)
        }
    }

    /// Offers `channel` to `write` until its connection ends (throws, to reconnect) or the
    /// task is cancelled (returns).
    private func publish(on channel: AMQPChannel, until connection: AMQPConnection) async throws {
        current.withLock { $0 = channel }
        defer { current.withLock { $0 = nil } }
        let ended = await connection.closed()
        if Task.isCancelled { return }
        throw ended ?? AMQPError(code: .connectionClosed, reason: "the sink's connection closed")
    }
}
