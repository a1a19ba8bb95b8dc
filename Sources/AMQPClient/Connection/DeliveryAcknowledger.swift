internal import CRabbitMQ
import Logging

/// Sends a delivery's acknowledgement through its own connection's thread, on the channel
/// incarnation it arrived on.
struct DeliveryAcknowledger: Sendable {
    enum Kind: Sendable {
        case ack(multiple: Bool)
        case nack(multiple: Bool, requeue: Bool)
        case reject(requeue: Bool)
    }

    let inbox: ConnectionInbox
    let channel: UInt16
    let generation: UInt64
    let logger: Logger

    func send(_ kind: Kind, deliveryTag: UInt64) {
        let channel = channel
        let generation = generation
        let logger = logger
        var isAck = false
        if case .ack = kind { isAck = true }
        inbox.submit(
            ConnectionCommand(
                run: { io in
                    let action = io.machine.acknowledgementRequested(channel: channel, generation: generation)
                    guard case .sendAcknowledgement = action, let connection = try? io.requireConnection()
                    else {
                        if case .dropAcknowledgement(let reason) = action {
                            logger.warning(
                                "Dropping acknowledgement of delivery \(deliveryTag): \(reason)")
                        }
                        return
                    }
                    let status: Int32
                    switch kind {
                    case .ack(let multiple):
                        // Collected, and sent with the others of this turn in the fewest frames.
                        if io.acknowledgements[channel]?.generation == generation,
                            io.acknowledgements[channel]?.acknowledge(deliveryTag, multiple: multiple) == true
                        {
                            return
                        }
                        status = amqp_basic_ack(connection, channel, deliveryTag, multiple ? 1 : 0)
                    case .nack(let multiple, let requeue):
                        io.acknowledgements[channel]?.forget(deliveryTag, multiple: multiple)
                        status = amqp_basic_nack(
                            connection, channel, deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0)
                    case .reject(let requeue):
                        io.acknowledgements[channel]?.forget(deliveryTag, multiple: false)
                        status = amqp_basic_reject(connection, channel, deliveryTag, requeue ? 1 : 0)
                    }
                    if status != AMQP_STATUS_OK.rawValue {
                        _ = io.failTransport(status: status, context: "sending an acknowledgement")
                    }
                },
                fail: { error in
                    logger.warning(
                        "Dropping acknowledgement of delivery \(deliveryTag): its connection has closed",
                        metadata: ["error": "\(error)"])
                }, isAcknowledgement: isAck))
    }
}
