/// A reply for an unknown correlation id, waiting through its unmatched grace.
struct HeldReply: Sendable {
    var sequence: UInt64
    var reply: CorrelationReply
    var receivedAt: Int64
}

/// The grace timer of one held reply. Removed lazily: a timer whose reply is gone is skipped.
struct HeldTimer: Sendable, Comparable {
    var expiresAt: Int64
    var sequence: UInt64
    var idBytes: [UInt8]

    static func < (lhs: HeldTimer, rhs: HeldTimer) -> Bool {
        (lhs.expiresAt, lhs.sequence) < (rhs.expiresAt, rhs.sequence)
    }

    static func == (lhs: HeldTimer, rhs: HeldTimer) -> Bool {
        lhs.sequence == rhs.sequence
    }
}
