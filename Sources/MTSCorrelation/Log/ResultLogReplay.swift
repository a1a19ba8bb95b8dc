import Foundation

/// Where a replay starts: a position in the log, or a time (the first entry appended then or
/// later).
public enum ReplayPoint: Sendable, Equatable {
    case seq(Int64)
    /// Milliseconds since the epoch.
    case time(Int64)
}

/// What a replay set up: the sink's cursor goes back to just before `fromSeq`, and the entries
/// up to `throughSeq` go to it again, flagged `replayed: true`.
public struct ReplayPlan: Sendable, Equatable {
    public var sink: String
    public var fromSeq: Int64
    public var throughSeq: Int64
    /// How many entries of each outcome and operation lie in that range (the sink's filters
    /// decide which of them it is sent).
    public var counts: [Count]

    public struct Count: Sendable, Equatable, Comparable {
        public var outcome: String
        public var operation: String?
        public var entries: Int

        public static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.outcome, lhs.operation ?? "") < (rhs.outcome, rhs.operation ?? "")
        }
    }
}

/// A replay that cannot be made, and why (for example the oldest point still kept).
public struct ReplayRefusal: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Sets a sink's cursor in a store's log of results back (`mts-relay replay`), whether a relay
/// runs on that store or not: the cursor's generation is raised, so a running relay adopts it
/// (within a second) and never overwrites it with an older move.
public enum ResultLogReplay {
    /// Sets `sink`'s cursor back to `point` in the log at `location` (its group's).
    ///
    /// - Throws: ``ReplayRefusal`` when the log holds nothing at or after `point`, or `point` is
    ///   older than the oldest entry still kept (the reason names it); ``CorrelationStoreError``
    ///   naming the database when it cannot be opened or written.
    public static func replay(
        at location: StoreLocation, sink: String, from point: ReplayPoint
    ) async throws
        -> ReplayPlan
    {
        if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
            throw CorrelationStoreError.cannotOpen(path: path, reason: "no such file")
        }
        guard let makeBackend = location.makeBackend() else {
            throw ReplayRefusal(reason: "a store in memory keeps no log to replay")
        }
        // The backends block: on a thread of their own, not the cooperative pool.
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        let backend = try makeBackend()
                        defer { backend.close() }
                        return try backend.replay(sink: sink, from: point)
                    })
            }.start()
        }
    }

    /// The position a replay from `point` starts at, given the log's oldest entry and the first
    /// entry at or after `point`'s time; refuses points the log no longer holds.
    static func startingSeq(
        of point: ReplayPoint, oldest: (seq: Int64, appendedAt: Int64)?, lastSeq: Int64,
        firstAtOrAfter: (Int64) throws -> Int64?
    ) throws -> Int64 {
        guard let oldest else {
            throw ReplayRefusal(reason: "the log of results holds no records (last seq \(lastSeq))")
        }
        let oldestText = "seq \(oldest.seq), appended \(Self.iso8601(oldest.appendedAt))"
        switch point {
        case .seq(let seq):
            guard seq >= oldest.seq else {
                throw ReplayRefusal(
                    reason: "seq \(seq) is no longer kept; the oldest available is \(oldestText)")
            }
            guard seq <= lastSeq else {
                throw ReplayRefusal(reason: "seq \(seq) is past the last record (seq \(lastSeq))")
            }
            return seq
        case .time(let time):
            guard time >= oldest.appendedAt else {
                throw ReplayRefusal(
                    reason:
                        "\(Self.iso8601(time)) is older than the log keeps; the oldest available is \(oldestText)"
                )
            }
            guard let seq = try firstAtOrAfter(time) else {
                throw ReplayRefusal(reason: "no record was appended at or after \(Self.iso8601(time))")
            }
            return seq
        }
    }

    static func iso8601(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
