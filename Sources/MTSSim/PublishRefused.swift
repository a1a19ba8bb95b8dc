import AMQPClient

/// The broker did not ack a publish: the run cannot vouch for what it sent.
struct PublishRefused: Error, CustomStringConvertible {
    var queue: String
    var confirmation: AMQPPublishConfirmation

    var description: String { "the broker answered a publish to \(queue) with \(confirmation), not an ack" }
}
