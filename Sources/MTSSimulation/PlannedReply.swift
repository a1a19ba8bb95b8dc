/// One reply the simulated MTS publishes for an exchange.
public struct PlannedReply: Sendable, Hashable {
    /// When it is published.
    public enum Timing: Sendable, Hashable {
        /// Published and confirmed before the request is published.
        case beforeRequest
        /// Published this many milliseconds after the request's `timestampUtc` (for an
        /// exchange without request, after the time it was due to be sent).
        case afterRequest(milliseconds: Int64)
    }

    public var timing: Timing
    /// nil for a valid reply.
    public var malformation: MalformedVariant?
    /// How many identical copies are published back to back (2 for `duplicate`).
    public var copies: Int

    /// A reply published at `timing`, broken by `malformation` when given.
    public init(timing: Timing, malformation: MalformedVariant? = nil, copies: Int = 1) {
        self.timing = timing
        self.malformation = malformation
        self.copies = copies
    }

    /// The delay after the request, 0 for replies published before it.
    public var delayMilliseconds: Int64 {
        if case .afterRequest(let milliseconds) = timing { return milliseconds }
        return 0
    }
}
