import DequeModule

/// The tombstones, oldest purge first: a queue in fixed-size chunks, indexed by the correlation
/// id's 64-bit hash.
///
/// Why chunks and not one ring buffer: a ring in steady state (purged at the head, appended at
/// the tail) wraps through all of its capacity, up to twice what it holds, and every page of it
/// becomes resident. Chunks are freed as the head passes them, so the resident memory follows
/// what is held, within one chunk.
///
/// Identity is the 64-bit hash alone (the table keeps no id bytes). With a million tombstones,
/// a new id is taken for a retained one with a chance of about 5·10⁻¹⁴ a lookup. The hash is
/// `Hasher` (seeded per process, recomputed from the store's ids at recovery), so crafted ids
/// cannot aim at it.
struct TombstoneTable: Sendable {
    /// Tombstones a chunk holds: 160 KiB.
    static let chunkSize = 4096

    private var chunks = Deque<[Tombstone]>()
    /// The position of `chunks[0][0]`; positions increase by one an append.
    private var chunkBase = 0
    /// How many tombstones of `chunks[0]` were removed.
    private var headOffset = 0
    /// Position (31 bits) by id hash. ``SlotIndex``'s tag is the hash's low 32 bits.
    private var index = SlotIndex()
    /// Deadlines too far from their request's timestamp for ``Tombstone/deadlineOffset``, by id
    /// hash (timeouts over 49 days: next to never).
    private(set) var farDeadlines: [UInt64: Int64] = [:]

    private(set) var count = 0

    private static let positionMask = Int(Int32.max)

    private var headPosition: Int { chunkBase + headOffset }

    /// The oldest tombstone: the next to purge.
    var first: Tombstone? {
        count == 0 ? nil : chunks[0][headOffset]
    }

    /// The newest tombstone's position.
    var lastPosition: Int {
        headPosition + count - 1
    }

    /// The newest tombstone's purge time.
    var lastPurgeAt: Int64? {
        chunks.last?.last?.purgeAt
    }

    /// The position of the tombstone whose id hashes to `idHash`.
    func find(_ idHash: UInt64) -> Int? {
        let found = index.find(hash: UInt32(truncatingIfNeeded: idHash)) { short in
            self[position(of: short)].idHash == idHash
        }
        return found.map { position(of: $0) }
    }

    subscript(position: Int) -> Tombstone {
        get {
            let offset = position - chunkBase
            return chunks[offset / Self.chunkSize][offset % Self.chunkSize]
        }
        _modify {
            let offset = position - chunkBase
            yield &chunks[offset / Self.chunkSize][offset % Self.chunkSize]
        }
    }

    /// The deadline of the tombstone at `position`.
    func deadline(at position: Int) -> Int64 {
        let tombstone = self[position]
        if tombstone.deadlineOffset == Tombstone.farDeadline {
            return farDeadlines[tombstone.idHash] ?? .max
        }
        return tombstone.timestampUtc + Int64(tombstone.deadlineOffset)
    }

    /// Makes room for `count` more tombstones in the index (a restart's table load).
    mutating func reserveCapacity(adding count: Int) {
        index.reserveCapacity(self.count + count)
    }

    /// Adds a tombstone behind the others (its `purgeAt` must not be earlier than theirs); the
    /// id must not be retained already.
    mutating func append(_ tombstone: Tombstone, deadline: Int64) {
        var tombstone = tombstone
        let offset = deadline.subtractingReportingOverflow(tombstone.timestampUtc)
        if !offset.overflow, offset.partialValue >= 0, offset.partialValue < Int64(Tombstone.farDeadline) {
            tombstone.deadlineOffset = UInt32(offset.partialValue)
        } else {
            tombstone.deadlineOffset = Tombstone.farDeadline
            farDeadlines[tombstone.idHash] = deadline
        }
        appendKeepingOffset(tombstone)
    }

    private mutating func appendKeepingOffset(_ tombstone: Tombstone) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [Tombstone] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        let position = chunkBase + (chunks.count - 1) * Self.chunkSize + chunks[chunks.count - 1].count
        chunks[chunks.count - 1].append(tombstone)
        index.insert(hash: UInt32(truncatingIfNeeded: tombstone.idHash), slot: Self.short(position))
        count += 1
    }

    /// Removes the oldest tombstone.
    @discardableResult
    mutating func removeFirst() -> Tombstone {
        precondition(count > 0, "no tombstone to remove")
        let tombstone = chunks[0][headOffset]
        index.remove(hash: UInt32(truncatingIfNeeded: tombstone.idHash), slot: Self.short(headPosition))
        if tombstone.deadlineOffset == Tombstone.farDeadline { farDeadlines[tombstone.idHash] = nil }
        count -= 1
        headOffset += 1
        if headOffset == Self.chunkSize || count == 0 {
            // An emptied table drops its last chunk too; the next append starts a new one.
            chunkBase += count == 0 ? headOffset : Self.chunkSize
            headOffset = 0
            chunks.removeFirst()
        }
        return tombstone
    }

    /// Moves the oldest tombstone behind the others, to be purged at `purgeAt` (not earlier than
    /// the last one's).
    mutating func requeueFirst(purgeAt: Int64) {
        let deadline = farDeadlineIfAny(of: first!)
        var tombstone = removeFirst()
        tombstone.purgeAt = purgeAt
        if let deadline { farDeadlines[tombstone.idHash] = deadline }
        appendKeepingOffset(tombstone)
    }

    private func farDeadlineIfAny(of tombstone: Tombstone) -> Int64? {
        tombstone.deadlineOffset == Tombstone.farDeadline ? farDeadlines[tombstone.idHash] : nil
    }

    /// A position as the index keeps it (31 bits).
    private static func short(_ position: Int) -> Int32 {
        Int32(position & positionMask)
    }

    /// The full position of an indexed one: positions held are within 2³¹ of the head.
    private func position(of short: Int32) -> Int {
        headPosition + ((Int(short) - headPosition) & Self.positionMask)
    }
}
