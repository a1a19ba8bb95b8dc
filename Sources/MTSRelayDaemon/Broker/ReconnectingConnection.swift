import AMQPClient
import Logging
import ServiceLifecycle

/// Keeps one broker connection's work going: connects, runs a session on the connection
/// until it ends, and reconnects with exponential backoff and jitter (100 ms to 5 s, as the
/// MTS SDKs do), logging why it disconnected and when it is back.
///
/// A session is a fresh start every time: topology declared again, consumers started
/// again. Deliveries of a dead connection are never acknowledged on the new one (AMQPClient
/// drops such acknowledgements).
struct ReconnectingConnection: Sendable {
    /// What the session found that makes retrying pointless (e.g. conflicting queue
    /// arguments): the daemon stops with this error.
    struct FatalError: Error, CustomStringConvertible {
        var description: String
    }

    let configuration: AMQPConnectionConfiguration
    let role: String
    let logger: Logger
    var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
    /// Called after every reconnect (for the metrics).
    var onReconnect: @Sendable () -> Void = {}
    /// Called about once a second while waiting to reconnect (the watchdog's beat).
    var onWait: @Sendable () -> Void = {}

    /// How long a session must have run for the backoff to start over.
    static let stableSession: Duration = .seconds(5)

    /// Runs `session` on successive connections until the session returns (it is done: the
    /// daemon is stopping), the task is cancelled, the daemon shuts down gracefully while no
    /// session runs (nothing is under way to drain), or the session throws `FatalError`. A
    /// session that throws anything else (its connection ended) is started again on a new
    /// connection.
    func run(session: @Sendable (AMQPConnection) async throws -> Void) async throws {
        var backoff = backoff
        var connectedBefore = false
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let connection: AMQPConnection
            do {
                connection = try await AMQPConnection.connect(configuration, logger: logger)
            } catch {
                let delay = backoff.next()
                logger.error(
                    "Cannot connect to the broker; retrying",
                    metadata: ["role": "\(role)", "error": "\(error)", "retryInMs": "\(delay.milliseconds)"])
                guard try await sleep(delay) else { return }
                continue
            }
            if connectedBefore {
                logger.notice(
                    "Reconnected to the broker", metadata: ["role": "\(role)", "broker": "\(configuration)"])
                onReconnect()
            }
            connectedBefore = true

            var ended: (any Error)?
            let sessionStarted = ContinuousClock.now
            do {
                try await session(connection)
                await connection.close()
                return
            } catch let fatal as FatalError {
                await connection.close()
                throw fatal
            } catch is CancellationError {
                await connection.close()
                return
            } catch {
                ended = error
            }
            if Task.isCancelled {
                await connection.close()
                return
            }
            let reason = await endReason(connection, sessionError: ended)
            await connection.close()
            // Only a session that lasted starts the backoff over: one that fails at once (a
            // consume refused, again and again) must not retry ten times a second.
            if ContinuousClock.now - sessionStarted >= Self.stableSession { backoff.reset() }
            let delay = backoff.next()
            if let refusal = ended as? AMQPError, refusal.isExclusiveRefusal {
                logger.notice(
                    "A queue is still held by another consumer (the group's previous active); waiting for the broker to hand it over",
                    metadata: [
                        "role": "\(role)", "reason": "\(refusal.reason)",
                        "retryInMs": "\(delay.milliseconds)",
                    ])
            } else {
                logger.error(
                    "Lost the broker connection; reconnecting",
                    metadata: [
                        "role": "\(role)", "reason": "\(reason)", "retryInMs": "\(delay.milliseconds)",
                    ])
            }
            guard try await sleep(delay) else { return }
        }
    }

    /// Sleeps in steps of at most a second, calling `onWait` at each; returns false, at once,
    /// when the daemon shuts down gracefully meanwhile (there is no session to drain).
    private func sleep(_ delay: Duration) async throws -> Bool {
        var left = delay
        while left > .zero {
            onWait()
            let step = min(left, .seconds(1))
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: step) }
            } catch is CancellationError where Task.isShuttingDownGracefully {
                return false
            }
            left -= step
        }
        return !Task.isShuttingDownGracefully
    }

    private func endReason(_ connection: AMQPConnection, sessionError: (any Error)?) async -> String {
        if !connection.isOpen, let error = await connection.closed() { return "\(error)" }
        if let sessionError { return "\(sessionError)" }
        return "the session ended"
    }
}

extension AMQPError {
    /// The broker refused an exclusive consume because another consumer holds the queue
    /// (`ACCESS_REFUSED`, 403, closing the channel).
    var isExclusiveRefusal: Bool { code == .brokerClosedChannel && replyCode == 403 }
}
