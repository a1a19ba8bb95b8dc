#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

// The pending table: slots, the id index and slot reuse.
extension CorrelationCore {
    /// The index hash of a correlation id.
    static func idHash(_ correlationId: String) -> UInt32 {
        var id = correlationId
        return id.withUTF8 { SlotIndex.hash(UnsafeRawBufferPointer($0)) }
    }

    /// The slot of a known correlation id (outstanding or tombstone).
    /// Marks a tombstone's record as in the log of results (its result was confirmed).
    public mutating func markRecorded(_ correlationId: String) {
        guard let slot = lookup(correlationId), slots[Int(slot)].state != .outstanding else { return }
        slots[Int(slot)].recorded = true
        slots[Int(slot)].awaitingRecord = false
    }

    func lookup(_ correlationId: String) -> Int32? {
        lookup(correlationId, hash: Self.idHash(correlationId))
    }

    /// As ``lookup(_:)``, with the id's hash already computed.
    func lookup(_ correlationId: String, hash: UInt32) -> Int32? {
        var id = correlationId
        return id.withUTF8 { wanted in
            index.find(hash: hash) { slot in
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

    /// Puts a request into a free slot and indexes it. Does not schedule a timer.
    mutating func insertSlot(
        _ persisted: PersistedRequest, recovered: Bool, idHash: UInt32? = nil
    ) throws(CorrelationError) -> Int32 {
        let request = persisted.request
        try Self.checkFieldLengths(request)
        let idCount = request.correlationId.utf8.count
        let ticketCount = request.ticketId?.utf8.count
        let operation = try intern(request.operation)
        let contentType = try intern(request.contentType)
        var packed = [UInt8]()
        packed.reserveCapacity(request.body.count + idCount + (ticketCount ?? 0))
        packed.append(contentsOf: request.body)
        packed.append(contentsOf: request.correlationId.utf8)
        if let ticketId = request.ticketId { packed.append(contentsOf: ticketId.utf8) }
        let state: RequestSlot.State =
            switch persisted.state {
            case .outstanding: .outstanding
            case .matched: .matched
            case .timedOut: .timedOut
            }
        let record = RequestSlot(
            packed: packed, bodyCount: Int32(request.body.count), idCount: UInt16(idCount),
            ticketIdCount: Int16(ticketCount ?? -1), operation: operation, contentType: contentType,
            state: state,
            recovered: recovered, recorded: persisted.confirmed && state != .outstanding,
            timestampUtc: request.timestampUtc, deadline: persisted.deadline,
            bodyHash: persisted.bodyHash, replyHash: persisted.replyHash ?? 0,
            resolvedAt: persisted.resolvedAt ?? 0)
        let slot: Int32
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[Int(slot)] = record
        } else {
            slot = Int32(slots.count)
            slots.append(record)
        }
        index.insert(hash: idHash ?? Self.idHash(request.correlationId), slot: slot)
        if state == .outstanding {
            outstandingCount += 1
            trackOutstandingAge(slot: slot)
        } else {
            tombstoneCount += 1
        }
        return slot
    }

    /// Forgets an outstanding request the store refused to hold, as if it had never been
    /// registered: no result, no tombstone. A request already resolved (a held reply matched it)
    /// is kept. Returns whether it was forgotten.
    public mutating func forgetRefused(_ correlationId: String) -> Bool {
        guard let slot = lookup(correlationId), slots[Int(slot)].state == .outstanding else { return false }
        freeSlot(slot)
        return true
    }

    /// Forgets a tombstone whose retention ended.
    mutating func freeSlot(_ slot: Int32) {
        let record = slots[Int(slot)]
        let hash = record.idBytes.withUnsafeBytes { SlotIndex.hash($0) }
        index.remove(hash: hash, slot: slot)
        timers.remove(slot: slot)
        if record.state == .outstanding { outstandingCount -= 1 } else { tombstoneCount -= 1 }
        slots[Int(slot)] = .empty
        freeSlots.append(slot)
    }
}
