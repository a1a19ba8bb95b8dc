/// A message delivered to a consumer, to be acknowledged manually.
///
/// `ack`, `nack` and `reject` may be called from any task; they never wait. An
/// acknowledgement for a delivery whose channel or connection has since closed is dropped
/// with a log line (the broker has already requeued the message), never sent on a newer one.
public struct AMQPDelivery: Sendable {
    public let body: [UInt8]
    public let properties: AMQPProperties
    /// The broker's tag for this delivery, unique on its channel.
    public let deliveryTag: UInt64
    /// True when the broker delivered this message before and it was not acknowledged.
    public let redelivered: Bool
    public let exchange: String
    public let routingKey: String
    public let consumerTag: String
    let acknowledger: DeliveryAcknowledger
    /// The consumer's buffer, told when this delivery is settled (its window); nil for a
    /// delivery of no consumer.
    let window: DeliveryBuffer?

    /// Acknowledges this delivery, or with `multiple` every delivery up to it on its channel.
    /// (The consumer's ``AMQPConsumer/flow`` counts `multiple` for its own deliveries only.)
    public func ack(multiple: Bool = false) {
        window?.settled(deliveryTag, multiple: multiple)
        acknowledger.send(.ack(multiple: multiple), deliveryTag: deliveryTag)
    }

    /// Negatively acknowledges: `requeue` puts it back in the queue, otherwise the queue's
    /// dead-letter exchange gets it (or it is dropped when the queue has none).
    public func nack(requeue: Bool, multiple: Bool = false) {
        window?.settled(deliveryTag, multiple: multiple)
        acknowledger.send(.nack(multiple: multiple, requeue: requeue), deliveryTag: deliveryTag)
    }

    /// Rejects this one delivery; `requeue` as for `nack`.
    public func reject(requeue: Bool) {
        window?.settled(deliveryTag, multiple: false)
        acknowledger.send(.reject(requeue: requeue), deliveryTag: deliveryTag)
    }
}
