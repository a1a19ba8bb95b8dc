import Foundation
import Logging

/// A connection to an AMQP 0-9-1 broker (RabbitMQ) through librabbitmq.
///
/// Each connection is owned by one dedicated thread that makes every librabbitmq call for
/// it. Async callers hand it work through a queue and are resumed through continuations, so
/// the cooperative thread pool never blocks on the socket, and heartbeats are serviced
/// whatever the application is doing.
///
/// A connection does not reconnect: when it ends (see `closed()`), make a new one. Its
/// deliveries, channels and pending publishes end with it, and acknowledgements of its
/// deliveries are dropped rather than sent on the new connection.
public final class AMQPConnection: Sendable {
    /// How the connection was made (`description` masks the password).
    public let configuration: AMQPConnectionConfiguration
    let inbox: ConnectionInbox
    let closedSignal: ConnectionClosedSignal
    let logger: Logger

    private init(
        configuration: AMQPConnectionConfiguration, inbox: ConnectionInbox,
        closedSignal: ConnectionClosedSignal,
        logger: Logger
    ) {
        self.configuration = configuration
        self.inbox = inbox
        self.closedSignal = closedSignal
        self.logger = logger
    }

    /// Connects and logs in; returns once the connection is open.
    /// - Throws: `AMQPError` (`connectionFailed`, `authenticationFailed`, `tlsFailed`, ...).
    public static func connect(
        _ configuration: AMQPConnectionConfiguration, logger: Logger
    ) async throws
        -> AMQPConnection
    {
        var logger = logger
        logger[metadataKey: "amqp.connection"] = "\(configuration.connectionName)"
        let inbox = try ConnectionInbox()
        let closedSignal = ConnectionClosedSignal()
        let threadLogger = logger
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                let io = ConnectionIO(
                    configuration: configuration, logger: threadLogger, inbox: inbox,
                    closedSignal: closedSignal)
                io.run(started: { continuation.resume(with: $0.mapError { $0 }) })
            }
            thread.name = "amqp:\(configuration.connectionName)"
            thread.start()
        }
        return AMQPConnection(
            configuration: configuration, inbox: inbox, closedSignal: closedSignal, logger: logger)
    }

    /// False once the connection has ended, for whatever reason.
    public var isOpen: Bool { !closedSignal.isClosed }

    /// Waits until the connection ends. Returns the failure that ended it, or `nil` when the
    /// application closed it (or when the waiting task was cancelled first).
    public func closed() async -> AMQPError? {
        await closedSignal.wait()
    }

    /// Opens a channel. With `publisherConfirms`, the broker acks or nacks every publish.
    public func openChannel(publisherConfirms: Bool = false) async throws -> AMQPChannel {
        let (number, generation) = try await perform { io throws(AMQPError) in
            try io.openChannel(confirm: publisherConfirms)
        }
        return AMQPChannel(connection: self, number: number, generation: generation)
    }

    /// Closes the connection: pending publishes fail, consumers end without error. Returns
    /// once the broker acknowledged the close (or the connection was already gone).
    public func close() async {
        _ = try? await perform { io throws(AMQPError) in io.closeConnection() }
        _ = await closedSignal.wait()
    }

    /// Runs `body` on the connection's thread and returns its result.
    func perform<T: Sendable>(
        _ body: @escaping @Sendable (ConnectionIO) throws(AMQPError) -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            inbox.submit(
                ConnectionCommand(
                    run: { io in
                        do throws(AMQPError) {
                            continuation.resume(returning: try body(io))
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    },
                    fail: { continuation.resume(throwing: $0) }))
        }
    }
}
