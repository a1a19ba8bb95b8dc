/// The deliveries of one consumer, in the order the broker sent them.
///
/// Iterate it once. Leaving the loop early (or cancelling the task) cancels the consumer on
/// the broker; unacknowledged deliveries return to the queue when the channel closes.
public struct AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = AMQPDelivery

    /// The consumer tag the broker knows this consumer by.
    public let tag: String
    /// The channel the consumer runs on.
    public let channel: AMQPChannel
    let stream: AsyncThrowingStream<AMQPDelivery, any Error>

    public func makeAsyncIterator() -> AsyncThrowingStream<AMQPDelivery, any Error>.AsyncIterator {
        stream.makeAsyncIterator()
    }
}
