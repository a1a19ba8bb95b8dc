/// What the broker said about a published message.
public enum AMQPPublishConfirmation: Sendable, Hashable {
    /// The broker took responsibility for the message (publisher confirm `basic.ack`).
    case acked
    /// The broker could not take it (`basic.nack`); publish it again or give up.
    case nacked
    /// Written to the socket on a channel without publisher confirms: nothing more is known.
    case unconfirmed
}
