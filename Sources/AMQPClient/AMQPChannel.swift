/// A channel of an `AMQPConnection`: topology, consuming and publishing.
///
/// Every method may be called from any task. When the broker closes the channel (e.g. 404
/// for a missing queue, 406 for conflicting arguments), the method that caused it throws
/// `AMQPError` with code `brokerClosedChannel` and the reply code; the channel is then
/// unusable and a new one must be opened.
public struct AMQPChannel: Sendable {
    public let connection: AMQPConnection
    /// The channel number on the connection.
    public let number: UInt16
    let generation: UInt64

    /// Declares an exchange (idempotent when the same arguments are given again).
    public func declareExchange(
        _ name: String, type: String = "direct", durable: Bool = true, autoDelete: Bool = false,
        internal isInternal: Bool = false, arguments: AMQPTable = [:]
    ) async throws {
        let (number, generation) = (number, generation)
        try await connection.perform { io throws(AMQPError) in
            try io.declareExchange(
                number, generation, name: name, type: type, durable: durable, autoDelete: autoDelete,
                internal: isInternal, arguments: arguments)
        }
    }

    /// Declares a queue with its arguments (`x-dead-letter-exchange`, `x-queue-type`,
    /// `x-delivery-limit`, ...). A queue that exists with other arguments makes the broker
    /// close the channel with 406 PRECONDITION_FAILED.
    @discardableResult
    public func declareQueue(
        _ name: String, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> AMQPQueueState {
        let (number, generation) = (number, generation)
        return try await connection.perform { io throws(AMQPError) in
            try io.declareQueue(
                number, generation, name: name, passive: false, durable: durable, exclusive: exclusive,
                autoDelete: autoDelete, arguments: arguments)
        }
    }

    /// Asks whether a queue exists without changing it. A missing queue makes the broker close
    /// the channel with 404 NOT_FOUND (thrown as `brokerClosedChannel`, `replyCode` 404).
    public func inspectQueue(_ name: String) async throws -> AMQPQueueState {
        let (number, generation) = (number, generation)
        return try await connection.perform { io throws(AMQPError) in
            try io.declareQueue(
                number, generation, name: name, passive: true, durable: false, exclusive: false,
                autoDelete: false,
                arguments: [:])
        }
    }

    /// Binds a queue to an exchange.
    public func bindQueue(
        _ queue: String, exchange: String, routingKey: String = "", arguments: AMQPTable = [:]
    )
        async throws
    {
        let (number, generation) = (number, generation)
        try await connection.perform { io throws(AMQPError) in
            try io.bindQueue(
                number, generation, queue: queue, exchange: exchange, routingKey: routingKey,
                arguments: arguments)
        }
    }

    /// Deletes a queue; returns how many messages it held. Its consumers are cancelled.
    @discardableResult
    public func deleteQueue(
        _ name: String, ifUnused: Bool = false, ifEmpty: Bool = false
    ) async throws -> UInt32 {
        let (number, generation) = (number, generation)
        return try await connection.perform { io throws(AMQPError) in
            try io.deleteQueue(number, generation, name: name, ifUnused: ifUnused, ifEmpty: ifEmpty)
        }
    }

    /// Removes every ready message from a queue; returns how many.
    @discardableResult
    public func purgeQueue(_ name: String) async throws -> UInt32 {
        let (number, generation) = (number, generation)
        return try await connection.perform { io throws(AMQPError) in
            try io.purgeQueue(number, generation, name: name)
        }
    }

    /// Deletes an exchange.
    public func deleteExchange(_ name: String) async throws {
        let (number, generation) = (number, generation)
        try await connection.perform { io throws(AMQPError) in
            try io.deleteExchange(number, generation, name: name)
        }
    }

    /// `basic.qos`: at most `count` unacknowledged deliveries per consumer on this channel.
    /// 0 would mean unlimited, which is never what a consumer wants, so it is refused.
    public func setPrefetch(_ count: UInt16) async throws {
        guard count > 0 else {
            throw AMQPError(code: .invalidConfiguration, reason: "prefetch 0 (unlimited) is refused")
        }
        let (number, generation) = (number, generation)
        try await connection.perform { io throws(AMQPError) in
            try io.setPrefetch(number, generation, count: count)
        }
    }

    /// Starts consuming with manual acknowledgement. The deliveries arrive in order on the
    /// returned sequence, which ends with an error when the channel or connection fails or the
    /// broker cancels the consumer (e.g. its queue was deleted), and cleanly when the consumer
    /// is cancelled or the connection closed by the application. Bound the number of
    /// unacknowledged deliveries with `setPrefetch` first.
    public func consume(
        queue: String, consumerTag: String = "", exclusive: Bool = false, arguments: AMQPTable = [:]
    ) async throws -> AMQPConsumer {
        let buffer = DeliveryBuffer()
        let (number, generation) = (number, generation)
        let tag = try await connection.perform { io throws(AMQPError) in
            try io.consume(
                number, generation, queue: queue, tag: consumerTag, exclusive: exclusive,
                arguments: arguments,
                buffer: buffer)
        }
        return AMQPConsumer(tag: tag, channel: self, handle: AMQPConsumer.Handle(buffer: buffer))
    }

    /// Cancels a consumer; its sequence ends cleanly.
    public func cancel(consumerTag: String) async throws {
        let (number, generation) = (number, generation)
        try await connection.perform { io throws(AMQPError) in
            try io.cancelConsumer(number, generation, tag: consumerTag)
        }
    }

    /// Publishes a message and, on a channel opened with publisher confirms, waits for the
    /// broker's ack or nack. Throws when the channel or connection ends before the confirm.
    @discardableResult
    public func publish(
        _ body: [UInt8], exchange: String = "", routingKey: String,
        properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false
    ) async throws -> AMQPPublishConfirmation {
        let (number, generation) = (number, generation)
        let inbox = connection.inbox
        return try await withCheckedThrowingContinuation { continuation in
            inbox.submit(
                ConnectionCommand(
                    run: { io in
                        io.publish(
                            number, generation, body: body, exchange: exchange, routingKey: routingKey,
                            properties: properties, mandatory: mandatory, continuation: continuation)
                    },
                    fail: { continuation.resume(throwing: $0) }))
        }
    }

    /// Closes the channel. Its consumers end cleanly; its unconfirmed publishes fail.
    public func close() async throws {
        let (number, generation) = (number, generation)
        try await connection.perform { io throws(AMQPError) in
            try io.closeChannel(number, generation: generation)
        }
    }
}
