internal import CRabbitMQ

/// The channel-level operations, each run on the connection's thread by a command.
extension ConnectionIO {
    private func usableConnection(
        _ channel: UInt16, _ generation: UInt64
    ) throws(AMQPError)
        -> amqp_connection_state_t
    {
        if case .fail(let error) = machine.checkUsable(channel, generation: generation) { throw error }
        return try requireConnection()
    }

    /// Checks the last round trip of a call that returns a pointer (nil on failure).
    private func checkLastReply(
        _ connection: amqp_connection_state_t, channel: UInt16, what: String
    )
        throws(AMQPError)
    {
        try checkReply(amqp_get_rpc_reply(connection), channel: channel, what: what)
    }

    func openChannel(confirm: Bool) throws(AMQPError) -> (number: UInt16, generation: UInt64) {
        let connection = try requireConnection()
        let action = mutateMachine { $0.channelOpenRequested() }
        guard case .openChannel(let number, let generation) = action else {
            if case .fail(let error) = action { throw error }
            throw AMQPError(code: .connectionClosed, reason: "the connection is closed")
        }
        if amqp_channel_open(connection, number) == nil {
            let reply = amqp_get_rpc_reply(connection)
            mutateMachine { $0.channelOpenFailed(number) }
            try checkReply(reply, channel: number, what: "opening channel \(number)")
        }
        if confirm {
            if amqp_confirm_select(connection, number) == nil {
                try checkLastReply(connection, channel: number, what: "turning on publisher confirms")
            }
            mutateMachine { $0.confirmModeSelected(number) }
        }
        return (number, generation)
    }

    func closeChannel(_ channel: UInt16, generation: UInt64) throws(AMQPError) {
        guard
            case .sendChannelClose = mutateMachine({
                $0.channelCloseRequested(channel, generation: generation)
            }),
            let connection = try? requireConnection()
        else { return }
        let reply = amqp_channel_close(connection, channel, AMQP_REPLY_SUCCESS)
        try checkReply(reply, channel: channel, what: "closing channel \(channel)")
        apply(mutateMachine { $0.channelCloseCompleted(channel) })
    }

    func declareExchange(
        _ channel: UInt16, _ generation: UInt64, name: String, type: String, durable: Bool, autoDelete: Bool,
        internal isInternal: Bool, arguments: AMQPTable
    ) throws(AMQPError) {
        let connection = try usableConnection(channel, generation)
        let arena = CArena()
        if amqp_exchange_declare(
            connection, channel, arena.bytes(name), arena.bytes(type), 0, durable ? 1 : 0, autoDelete ? 1 : 0,
            isInternal ? 1 : 0, arena.table(arguments)) == nil
        {
            try checkLastReply(connection, channel: channel, what: "declaring exchange '\(name)'")
        }
    }

    func declareQueue(
        _ channel: UInt16, _ generation: UInt64, name: String, passive: Bool, durable: Bool, exclusive: Bool,
        autoDelete: Bool, arguments: AMQPTable
    ) throws(AMQPError) -> AMQPQueueState {
        let connection = try usableConnection(channel, generation)
        let arena = CArena()
        guard
            let ok = amqp_queue_declare(
                connection, channel, arena.bytes(name), passive ? 1 : 0, durable ? 1 : 0, exclusive ? 1 : 0,
                autoDelete ? 1 : 0, arena.table(arguments))
        else {
            try checkLastReply(connection, channel: channel, what: "declaring queue '\(name)'")
            throw AMQPError(code: .protocolViolation, reason: "queue.declare returned nothing")
        }
        return AMQPQueueState(
            name: ok.pointee.queue.string, messageCount: ok.pointee.message_count,
            consumerCount: ok.pointee.consumer_count)
    }

    func bindQueue(
        _ channel: UInt16, _ generation: UInt64, queue: String, exchange: String, routingKey: String,
        arguments: AMQPTable
    ) throws(AMQPError) {
        let connection = try usableConnection(channel, generation)
        let arena = CArena()
        if amqp_queue_bind(
            connection, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey),
            arena.table(arguments)) == nil
        {
            try checkLastReply(
                connection, channel: channel, what: "binding queue '\(queue)' to exchange '\(exchange)'")
        }
    }

    func deleteQueue(
        _ channel: UInt16, _ generation: UInt64, name: String, ifUnused: Bool, ifEmpty: Bool
    )
        throws(AMQPError) -> UInt32
    {
        let connection = try usableConnection(channel, generation)
        let arena = CArena()
        guard
            let ok = amqp_queue_delete(
                connection, channel, arena.bytes(name), ifUnused ? 1 : 0, ifEmpty ? 1 : 0)
        else {
            try checkLastReply(connection, channel: channel, what: "deleting queue '\(name)'")
            return 0
        }
        return ok.pointee.message_count
    }

    func purgeQueue(_ channel: UInt16, _ generation: UInt64, name: String) throws(AMQPError) -> UInt32 {
        let connection = try usableConnection(channel, generation)
        let arena = CArena()
        guard let ok = amqp_queue_purge(connection, channel, arena.bytes(name)) else {
            try checkLastReply(connection, channel: channel, what: "purging queue '\(name)'")
            return 0
        }
        return ok.pointee.message_count
    }

    func deleteExchange(_ channel: UInt16, _ generation: UInt64, name: String) throws(AMQPError) {
        let connection = try usableConnection(channel, generation)
        let arena = CArena()
        if amqp_exchange_delete(connection, channel, arena.bytes(name), 0) == nil {
            try checkLastReply(connection, channel: channel, what: "deleting exchange '\(name)'")
        }
    }

    func setPrefetch(_ channel: UInt16, _ generation: UInt64, count: UInt16) throws(AMQPError) {
        let connection = try usableConnection(channel, generation)
        if amqp_basic_qos(connection, channel, 0, count, 0) == nil {
            try checkLastReply(connection, channel: channel, what: "setting prefetch to \(count)")
        }
    }

    func consume(
        _ channel: UInt16, _ generation: UInt64, queue: String, tag: String, exclusive: Bool,
        arguments: AMQPTable,
        buffer: DeliveryBuffer
    ) throws(AMQPError) -> String {
        let connection = try usableConnection(channel, generation)
        let arena = CArena()
        guard
            let ok = amqp_basic_consume(
                connection, channel, arena.bytes(queue), arena.bytes(tag), 0, 0, exclusive ? 1 : 0,
                arena.table(arguments))
        else {
            try checkLastReply(connection, channel: channel, what: "consuming from queue '\(queue)'")
            throw AMQPError(code: .protocolViolation, reason: "basic.consume returned nothing")
        }
        let consumerTag = ok.pointee.consumer_tag.string
        mutateMachine { $0.consumerStarted(channel: channel, tag: consumerTag) }
        registerConsumer(consumerTag, buffer: buffer)
        // When the application drops the consumer, cancel it so the broker stops sending;
        // unacknowledged deliveries go back to the queue when the channel closes.
        let inbox = self.inbox
        buffer.setAbandonHandler {
            inbox.submit(
                ConnectionCommand(
                    run: { io in try? io.cancelConsumer(channel, generation, tag: consumerTag) },
                    fail: { _ in }))
        }
        return consumerTag
    }

    func cancelConsumer(_ channel: UInt16, _ generation: UInt64, tag: String) throws(AMQPError) {
        let connection = try usableConnection(channel, generation)
        let arena = CArena()
        if amqp_basic_cancel(connection, channel, arena.bytes(tag)) == nil {
            try checkLastReply(connection, channel: channel, what: "cancelling consumer \(tag)")
        }
        apply(mutateMachine { $0.consumerCancelled(channel: channel, tag: tag) })
    }

    func publish(
        _ channel: UInt16, _ generation: UInt64, body: [UInt8], exchange: String, routingKey: String,
        properties: AMQPProperties, mandatory: Bool, continuation: PublishContinuation
    ) {
        let action = mutateMachine { $0.publishRequested(channel, generation: generation) }
        guard case .publish(let sequence) = action, let connection = try? requireConnection() else {
            if case .fail(let error) = action {
                continuation.resume(throwing: error)
            } else {
                continuation.resume(
                    throwing: AMQPError(code: .connectionClosed, reason: "the connection is closed"))
            }
            return
        }
        // Registered before the write, so that a transport failure during it settles this
        // publish along with every other one.
        if let sequence {
            registerPublishWaiter(channel: channel, sequence: sequence, continuation: continuation)
        }
        let arena = CArena()
        var cProperties = arena.properties(properties)
        let status = amqp_basic_publish(
            connection, channel, arena.bytes(exchange), arena.bytes(routingKey), mandatory ? 1 : 0, 0,
            &cProperties, arena.bytes(body))
        guard status == AMQP_STATUS_OK.rawValue else {
            let error = failTransport(status: status, context: "publishing to exchange '\(exchange)'")
            if sequence == nil { continuation.resume(throwing: error) }
            return
        }
        if sequence == nil { continuation.resume(returning: .unconfirmed) }
    }

    func closeConnection() {
        guard case .sendConnectionClose = mutateMachine({ $0.closeRequested() }) else { return }
        if let connection = currentConnection {
            // Waits for close-ok (bounded by the RPC timeout); a failure changes nothing, the
            // connection is torn down either way.
            _ = amqp_connection_close(connection, AMQP_REPLY_SUCCESS)
        }
        apply(mutateMachine { $0.closeCompleted() })
    }
}

extension ConnectionIO {
    /// Sends the acks collected since the last flush, per channel in the fewest frames
    /// (``AcknowledgementTracker``). Acks of a channel that closed meanwhile are dropped: the
    /// broker has put those deliveries back.
    func flushAcknowledgements() {
        guard acknowledgements.values.contains(where: \.hasPending),
            let connection = try? requireConnection()
        else { return }
        for channel in acknowledgements.keys.sorted() {
            guard var tracker = acknowledgements[channel], tracker.hasPending else { continue }
            let frames = tracker.flush()
            acknowledgements[channel] = tracker
            guard
                case .sendAcknowledgement = machine.acknowledgementRequested(
                    channel: channel, generation: tracker.generation)
            else { continue }
            for frame in frames {
                let status = amqp_basic_ack(connection, channel, frame.deliveryTag, frame.multiple ? 1 : 0)
                if status != AMQP_STATUS_OK.rawValue {
                    _ = failTransport(status: status, context: "sending an acknowledgement")
                    return
                }
            }
        }
    }
}
