import AMQPClient
import Logging

/// The broker objects mts-relay owns or uses, declared at the start of every session.
///
/// - Owned, declared idempotently: the intake queue (durable), the dead-letter exchange
///   (fanout, durable) and its queue, bound together.
/// - Used as they are: the MTS reply queues. MTS declares them; each is inspected passively
///   and declared (durable, no arguments) only when missing.
///
/// A queue that exists with arguments other than ours makes the broker refuse the declare
/// (406 PRECONDITION_FAILED); that is a configuration conflict, not a transient failure, so
/// it is raised as `ReconnectingConnection.FatalError` and the daemon refuses to start.
struct RelayTopology: Sendable {
    var intakeQueue: String?
    var replyQueues: [String]
    var deadLetterExchange: String
    var deadLetterQueue: String

    func declare(on connection: AMQPConnection, logger: Logger) async throws {
        let channel = try await connection.openChannel()
        do {
            try await channel.declareExchange(deadLetterExchange, type: "fanout", durable: true)
            try await channel.declareQueue(deadLetterQueue, durable: true)
            try await channel.bindQueue(deadLetterQueue, exchange: deadLetterExchange)
            if let intakeQueue { try await channel.declareQueue(intakeQueue, durable: true) }
        } catch let error as AMQPError where error.replyCode == 406 {
            throw ReconnectingConnection.FatalError(
                description:
                    "refusing to start: an existing broker object conflicts with mts-relay's declaration: "
                    + error.reason)
        }
        try? await channel.close()

        for queue in replyQueues {
            // A passive declare of a missing queue closes its channel (404): one channel each.
            let probe = try await connection.openChannel()
            do {
                let state = try await probe.inspectQueue(queue)
                logger.info(
                    "Reply queue found", metadata: ["queue": "\(queue)", "messages": "\(state.messageCount)"])
                try? await probe.close()
            } catch let error as AMQPError where error.replyCode == 404 {
                let declarer = try await connection.openChannel()
                try await declarer.declareQueue(queue, durable: true)
                try? await declarer.close()
                logger.notice(
                    "Reply queue was missing; declared it (durable)", metadata: ["queue": "\(queue)"])
            }
        }
    }
}
