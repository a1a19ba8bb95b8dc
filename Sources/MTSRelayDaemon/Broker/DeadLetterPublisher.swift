import AMQPClient

/// Republishes invalid messages to the daemon's dead-letter exchange, unchanged but for two
/// headers, and waits for the broker's confirm.
///
/// This does not rely on the source queue's own dead-lettering: MTS owns the reply queues,
/// and a plain reject there would drop the message. The original is acknowledged only after
/// this returns.
struct DeadLetterPublisher: Sendable {
    static let errorHeader = "x-mts-relay-error"
    static let queueHeader = "x-mts-relay-source-queue"

    let channel: AMQPChannel
    let exchange: String

    /// Publishes `delivery`'s body and properties with the reason added; retries a nack a few
    /// times, then throws (the original stays unacknowledged and comes back later).
    func publish(_ delivery: AMQPDelivery, queue: String, reason: String) async throws {
        var properties = delivery.properties
        var headers = properties.headers ?? [:]
        headers[Self.errorHeader] = .string(reason)
        headers[Self.queueHeader] = .string(queue)
        properties.headers = headers
        for attempt in 1...3 {
            let confirmation = try await channel.publish(
                delivery.body, exchange: exchange, routingKey: queue, properties: properties)
            if confirmation == .acked { return }
            try await Task.sleep(for: .milliseconds(100 * attempt))
        }
        throw AMQPError(
            code: .protocolViolation,
            reason: "the broker nacked the dead-letter publish to '\(exchange)' three times")
    }
}
