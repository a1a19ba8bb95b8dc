/// A message to publish in a batch (``AMQPChannel/publish(contentsOf:completion:)``).
public struct AMQPOutgoingMessage: Sendable {
    public var body: [UInt8]
    /// The exchange; "" is the default exchange, which routes by queue name.
    public var exchange: String
    public var routingKey: String
    public var properties: AMQPProperties
    /// Ask the broker to return the message when no queue takes it (reported as a log line).
    public var mandatory: Bool

    /// A message for `routingKey` on `exchange` (the default exchange when not given).
    public init(
        body: [UInt8], exchange: String = "", routingKey: String,
        properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false
    ) {
        self.body = body
        self.exchange = exchange
        self.routingKey = routingKey
        self.properties = properties
        self.mandatory = mandatory
    }
}
