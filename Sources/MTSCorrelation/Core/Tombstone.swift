/// A resolved request kept through its retention: only what deciding a later reply, or the same
/// request delivered again, needs. 40 bytes and no heap buffer, so that an hour's retention at
/// 1 000 pairs/s stays within 64 bytes a pair with its index.
///
/// The correlation id is not kept: its 64-bit hash stands for it (``TombstoneTable``). The
/// body and ticket id went out with the `matched` or `timeout` record, and the store purges its
/// rows by resolution time, so nothing else needs the id's bytes. The body and reply hashes keep
/// their low 32 bits: two different bodies pass for the same one with a chance of 2⁻³² (a
/// conflicting registration taken for a redelivery, or a different reply for the one that
/// matched); their cost is one record's outcome, never a lost message.
struct Tombstone: Sendable {
    /// The correlation id's 64-bit hash (``CorrelationCore/idHash(_:)``).
    var idHash: UInt64
    var timestampUtc: Int64
    /// When the retention ends (or, held for its record, when the purge looks at it again).
    var purgeAt: Int64
    /// `deadline - timestampUtc`; ``farDeadline`` when that does not fit (the deadline is then in
    /// ``TombstoneTable/farDeadlines``).
    var deadlineOffset: UInt32
    var bodyHash: UInt32
    /// Of the reply that matched (matched tombstones).
    var replyHash: UInt32
    /// The request's operation and content type (``CorrelationCore/kinds``).
    var kind: UInt16
    var flags: Flags

    static let farDeadline = UInt32.max

    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        /// Matched; otherwise timed out.
        static let matched = Flags(rawValue: 1 << 0)
        /// Recovered from the store at startup.
        static let recovered = Flags(rawValue: 1 << 1)
        /// Its decision's record is in the log of results (confirmed): a redelivery of its reply
        /// needs no record again.
        static let recorded = Flags(rawValue: 1 << 2)
        /// Its decision's record has not been queued for the log yet
        /// (``CorrelationCore/purgeWaitsForRecord``).
        static let awaitingRecord = Flags(rawValue: 1 << 3)
    }

    /// The low 32 bits of a 64-bit body hash, as a tombstone keeps it.
    static func short(_ hash: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: hash)
    }
}
