/// What `queue.declare` reports about a queue.
public struct AMQPQueueState: Sendable, Hashable {
    /// The queue's name (the broker's choice when declared with an empty name).
    public var name: String
    /// Messages ready for delivery, not counting unacknowledged ones.
    public var messageCount: UInt32
    /// Active consumers.
    public var consumerCount: UInt32
}
