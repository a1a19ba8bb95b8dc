/// One request for an active upstream, waiting to be sent.
struct UpstreamWork: Sendable {
    var correlationId: String
    /// What is sent (``ActiveUpstream/payload(of:)``).
    var payload: [UInt8]
    /// The last instant it may be answered (ms since the epoch).
    var deadline: Int64
    /// Whether it holds a place of the consumer's backlog (a request recovered from the store
    /// does not), given back once it is sent.
    var holdsBacklogPlace: Bool
}
