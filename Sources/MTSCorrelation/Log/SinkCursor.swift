/// Where one sink is in a log: every entry up to ``seq`` was delivered to it (or passed over).
public struct SinkCursor: Sendable, Hashable {
    /// The sink's configured name.
    public var sink: String
    /// The last entry delivered; 0 before the first.
    public var seq: Int64
    /// Raised by every replay (`mts-relay replay`). A relay moves a cursor only at the
    /// generation it read, so a replay written meanwhile is never overwritten by a stale move.
    public var generation: Int64
    /// Entries up to this one are being sent again (`replayed: true`); 0 when none are.
    public var replayUntil: Int64

    public init(sink: String, seq: Int64, generation: Int64 = 0, replayUntil: Int64 = 0) {
        self.sink = sink
        self.seq = seq
        self.generation = generation
        self.replayUntil = replayUntil
    }
}

/// What a log holds, read at open and by the operator's tools.
public struct ResultLogState: Sendable, Equatable {
    /// The newest entry's position; 0 when the log was always empty.
    public var lastSeq: Int64
    /// The oldest entry still kept, with its time; nil when the log holds none.
    public var oldest: (seq: Int64, appendedAt: Int64)?
    /// Every sink's cursor that was ever written.
    public var cursors: [SinkCursor]

    public init(
        lastSeq: Int64 = 0, oldest: (seq: Int64, appendedAt: Int64)? = nil, cursors: [SinkCursor] = []
    ) {
        self.lastSeq = lastSeq
        self.oldest = oldest
        self.cursors = cursors
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.lastSeq == rhs.lastSeq && lhs.oldest?.seq == rhs.oldest?.seq
            && lhs.oldest?.appendedAt == rhs.oldest?.appendedAt && lhs.cursors == rhs.cursors
    }
}

/// The log's writes that go into one transaction beside the table's effects.
struct LogChanges {
    /// New entries, already numbered.
    var appends: [ResultLogEntry] = []
    /// The newest move of each sink's cursor (made only at its generation).
    var cursors: [String: SinkCursor] = [:]
    /// Drop the entries up to `throughSeq` appended before `before` (milliseconds).
    var purge: (throughSeq: Int64, before: Int64)?

    var isEmpty: Bool { appends.isEmpty && cursors.isEmpty && purge == nil }
}
