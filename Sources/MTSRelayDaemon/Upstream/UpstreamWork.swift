/// One request for an active upstream, waiting to be sent.
struct UpstreamWork: Sendable {
    var correlationId: String
    /// The message as received (and as stored).
    var body: [UInt8]
    /// The last instant it may be answered (ms since the epoch).
    var deadline: Int64
}
