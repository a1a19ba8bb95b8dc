/// An error of the AMQP client: what failed, and the broker's or librabbitmq's own words.
///
/// The description never carries a password: errors are built from broker reply texts,
/// librabbitmq status strings and host names, never from a URL's user information.
public struct AMQPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case invalidConfiguration
            case connectionFailed
            case authenticationFailed
            case tlsFailed
            case transportFailed
            case heartbeatMissed
            case brokerClosedConnection
            case brokerClosedChannel
            case consumerCancelledByBroker
            case connectionClosed
            case channelClosed
            case timeout
            case protocolViolation
        }
        let base: Base

        /// The configuration or URL is not usable (named in the reason).
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The TCP connection or the AMQP handshake could not be established.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The broker refused the user name or password (or vhost access).
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// The TLS handshake or certificate verification failed.
        public static let tlsFailed = Code(base: .tlsFailed)
        /// The socket failed or was closed without an AMQP close.
        public static let transportFailed = Code(base: .transportFailed)
        /// No frame arrived from the broker for two heartbeat intervals.
        public static let heartbeatMissed = Code(base: .heartbeatMissed)
        /// The broker sent `connection.close` (see `replyCode` and `reason`).
        public static let brokerClosedConnection = Code(base: .brokerClosedConnection)
        /// The broker sent `channel.close` (see `replyCode` and `reason`).
        public static let brokerClosedChannel = Code(base: .brokerClosedChannel)
        /// The broker cancelled a consumer, e.g. because its queue was deleted.
        public static let consumerCancelledByBroker = Code(base: .consumerCancelledByBroker)
        /// The connection is closed (by the application or after an earlier failure).
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The channel is closed (by the application or after an earlier failure).
        public static let channelClosed = Code(base: .channelClosed)
        /// A broker round trip did not complete in time.
        public static let timeout = Code(base: .timeout)
        /// The broker sent something the client did not expect.
        public static let protocolViolation = Code(base: .protocolViolation)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The AMQP reply code the broker gave (e.g. 320, 404, 406), when the broker closed.
    public var replyCode: UInt16?
    /// librabbitmq's status (an `amqp_status_enum` value), when the library reported it.
    public var libraryStatus: Int32?
    /// The broker's reply text, or librabbitmq's description of its status, or ours.
    public var reason: String

    public init(code: Code, reason: String, replyCode: UInt16? = nil, libraryStatus: Int32? = nil) {
        self.code = code
        self.reason = reason
        self.replyCode = replyCode
        self.libraryStatus = libraryStatus
    }

    public var description: String {
        var text = "\(code): \(reason)"
        if let replyCode { text += " (reply code \(replyCode))" }
        if let libraryStatus { text += " (librabbitmq status \(libraryStatus))" }
        return text
    }
}
