internal import CRabbitMQ

extension ConnectionIO {
    /// Publishes `messages` in order, in this one turn of the thread, and settles `batch` (made
    /// for `messages.count`) as the broker confirms them: on a channel without confirms each
    /// message is settled `unconfirmed` once written. When the channel cannot publish, or the
    /// connection fails part way, the messages not written are failed with the error.
    func publishBatch(
        _ channel: UInt16, _ generation: UInt64, messages: [AMQPOutgoingMessage], batch: PublishBatchWaiter
    ) {
        // The properties and routing of the messages of one batch live until the batch is written.
        let arena = CArena()
        for position in messages.indices {
            let action = mutateMachine { $0.publishRequested(channel, generation: generation) }
            guard case .publish(let sequence) = action, let connection = try? requireConnection() else {
                let error =
                    if case .fail(let error) = action {
                        error
                    } else {
                        AMQPError(code: .connectionClosed, reason: "the connection is closed")
                    }
                batch.fail(from: position, with: error)
                return
            }
            // Registered before the write, so that a transport failure during it settles this
            // publish along with every other one.
            if let sequence {
                registerPublishWaiter(channel: channel, sequence: sequence, batch: batch, position: position)
            }
            var cProperties = arena.properties(messages[position].properties)
            let exchange = arena.bytes(messages[position].exchange)
            let routingKey = arena.bytes(messages[position].routingKey)
            let mandatory: Int32 = messages[position].mandatory ? 1 : 0
            let status = messages[position].body.withUnsafeBytes { body in
                // librabbitmq only reads the body, during this call.
                amqp_basic_publish(
                    connection, channel, exchange, routingKey, mandatory, 0, &cProperties,
                    amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
            }
            guard status == AMQP_STATUS_OK.rawValue else {
                let error = failTransport(
                    status: status, context: "publishing to exchange '\(messages[position].exchange)'")
                // The connection's teardown settled the registered ones; this one, when it was
                // not registered, and the rest were never written.
                batch.fail(from: sequence == nil ? position : position + 1, with: error)
                return
            }
            if sequence == nil { batch.settle(position, with: .success(.unconfirmed)) }
        }
    }
}
