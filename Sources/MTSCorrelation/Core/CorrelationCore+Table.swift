#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

// The pending table: outstanding slots, tombstones, the id indexes and slot reuse.
extension CorrelationCore {
    /// Where a known correlation id is.
    enum KnownRequest {
        case outstanding(Int32)
        /// A position in ``tombstones``.
        case tombstone(Int)
    }

    /// The hash of a correlation id: the outstanding index uses its low 32 bits, tombstones all
    /// 64 (they keep no id bytes to compare).
    static func idHash(_ correlationId: String) -> UInt64 {
        var id = correlationId
        return id.withUTF8 { idHash(UnsafeRawBufferPointer($0)) }
    }

    static func idHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    func find(_ correlationId: String) -> KnownRequest? {
        find(correlationId, hash: Self.idHash(correlationId))
    }

    /// As ``find(_:)``, with the id's hash already computed.
    func find(_ correlationId: String, hash: UInt64) -> KnownRequest? {
        if let slot = lookup(correlationId, hash: hash) { return .outstanding(slot) }
        if tombstones.count > 0, let position = tombstones.find(hash) { return .tombstone(position) }
        return nil
    }

    /// Marks a tombstone's record as in the log of results (its result was confirmed).
    public mutating func markRecorded(_ correlationId: String) {
        if !resolvedAwaitingRecord.isEmpty { resolvedAwaitingRecord[Self.idHash(correlationId)] = nil }
        guard case .tombstone(let position) = find(correlationId) else { return }
        tombstones[position].flags.insert(.recorded)
        tombstones[position].flags.remove(.awaitingRecord)
        if !unrecordedBodies.isEmpty { unrecordedBodies[tombstones[position].idHash] = nil }
    }

    /// The slot of an outstanding correlation id.
    func lookup(_ correlationId: String, hash: UInt64) -> Int32? {
        guard outstandingCount > 0 else { return nil }
        var id = correlationId
        return id.withUTF8 { wanted in
            index.find(hash: UInt32(truncatingIfNeeded: hash)) { slot in
                // Field by field: copying the slot would retain and release its buffer.
                guard Int(slots[Int(slot)].idCount) == wanted.count else { return false }
                guard let start = wanted.baseAddress else { return true }
                let offset = Int(slots[Int(slot)].bodyCount)
                return slots[Int(slot)].packed.withUnsafeBufferPointer { packed in
                    memcmp(packed.baseAddress! + offset, start, wanted.count) == 0
                }
            }
        }
    }

    /// Refuses ids longer than a slot keeps: 65 535 bytes of correlation id, 32 767 of ticket id.
    static func checkFieldLengths(_ request: CorrelationRequest) throws(CorrelationError) {
        let idCount = request.correlationId.utf8.count
        guard idCount <= Int(UInt16.max) else { throw .fieldTooLong(field: "correlationId", length: idCount) }
        if let ticketCount = request.ticketId?.utf8.count, ticketCount > Int(Int16.max) {
            throw .fieldTooLong(field: "ticketId", length: ticketCount)
        }
    }

    /// Puts an outstanding request into a free slot and indexes it. Does not schedule a timer.
    mutating func insertSlot(
        _ persisted: PersistedRequest, recovered: Bool, idHash: UInt64? = nil
    ) throws(CorrelationError) -> Int32 {
        let request = persisted.request
        try Self.checkFieldLengths(request)
        let idCount = request.correlationId.utf8.count
        let ticketCount = request.ticketId?.utf8.count
        let kind = try intern(operation: request.operation, contentType: request.contentType)
        var packed = [UInt8]()
        packed.reserveCapacity(request.body.count + idCount + (ticketCount ?? 0))
        packed.append(contentsOf: request.body)
        packed.append(contentsOf: request.correlationId.utf8)
        if let ticketId = request.ticketId { packed.append(contentsOf: ticketId.utf8) }
        let record = RequestSlot(
            packed: packed, bodyCount: Int32(request.body.count), idCount: UInt16(idCount),
            ticketIdCount: Int16(ticketCount ?? -1), kind: kind, isOutstanding: true, recovered: recovered,
            timestampUtc: request.timestampUtc, deadline: persisted.deadline, bodyHash: persisted.bodyHash)
        let slot: Int32
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[Int(slot)] = record
        } else {
            slot = Int32(slots.count)
            slots.append(record)
        }
        let hash = idHash ?? Self.idHash(request.correlationId)
        index.insert(hash: UInt32(truncatingIfNeeded: hash), slot: slot)
        outstandingCount += 1
        trackOutstandingAge(slot: slot)
        return slot
    }

    /// Forgets an outstanding request the store refused to hold, as if it had never been
    /// registered: no result, no tombstone. A request already resolved (a held reply matched it)
    /// is kept. Returns whether it was forgotten.
    public mutating func forgetRefused(_ correlationId: String) -> Bool {
        guard case .outstanding(let slot) = find(correlationId) else { return false }
        freeSlot(slot, idHash: Self.idHash(correlationId))
        return true
    }

    /// Resolves the outstanding request in `slot`: returns it as a value (its body moved out),
    /// frees the slot and keeps a tombstone until retention ends, waiting for the decision's
    /// record (``purgeWaitsForRecord``). Returns the request and the tombstone's position.
    mutating func retire(
        slot: Int32, replyHash: UInt64?, now: Int64, correlationId: String? = nil
    ) -> (request: CorrelationRequest, position: Int) {
        let idHash = slots[Int(slot)].idBytes.withUnsafeBytes { Self.idHash($0) }
        var flags: Tombstone.Flags = [.awaitingRecord]
        if replyHash != nil { flags.insert(.matched) }
        if slots[Int(slot)].recovered { flags.insert(.recovered) }
        let tombstone = Tombstone(
            idHash: idHash, timestampUtc: slots[Int(slot)].timestampUtc,
            purgeAt: now.addingReportingOverflow(configuration.retention).partialValue, deadlineOffset: 0,
            bodyHash: Tombstone.short(slots[Int(slot)].bodyHash), replyHash: Tombstone.short(replyHash ?? 0),
            kind: slots[Int(slot)].kind, flags: flags)
        let deadline = slots[Int(slot)].deadline
        let request = takeRequest(slot: slot, correlationId: correlationId)
        freeSlot(slot, idHash: idHash)
        tombstones.append(tombstone, deadline: deadline)
        return (request, tombstones.lastPosition)
    }

    /// Frees an outstanding request's slot (its buffer goes with it).
    private mutating func freeSlot(_ slot: Int32, idHash: UInt64) {
        index.remove(hash: UInt32(truncatingIfNeeded: idHash), slot: slot)
        timers.remove(slot: slot)
        outstandingCount -= 1
        slots[Int(slot)] = .empty
        freeSlots.append(slot)
    }
}
