/// An answer an active upstream (a service the relay itself calls, e.g. the jackpot Bet Engine)
/// gave to a request, kept in the store until its result is confirmed.
///
/// It plays the part an unacknowledged reply message plays for a reply queue: after a crash
/// between the decision and the sinks' confirm it is handed to the engine again (as a
/// redelivered reply), so the result is made again instead of being lost.
public struct RecordedAnswer: Sendable, Hashable {
    /// The upstream's status (for HTTP, the status code).
    public var status: Int
    /// The answer's body as received.
    public var body: [UInt8]
    /// When the relay received it (ms since the Unix epoch).
    public var receivedAt: Int64

    /// An answer with `status`, `body` and the time it was received.
    public init(status: Int, body: [UInt8], receivedAt: Int64) {
        self.status = status
        self.body = body
        self.receivedAt = receivedAt
    }
}
