// The pending table: slots, the id index and slot reuse.
extension CorrelationCore {
    // Both hashKey overloads feed the same UTF-8 bytes to Hasher in one call, so a stored id
    // and a looked-up id hash alike. Hasher is seeded per process; the index is never persisted.
    static func hashKey(_ id: String) -> Int {
        var id = id
        return id.withUTF8 { buffer in
            var hasher = Hasher()
            hasher.combine(bytes: UnsafeRawBufferPointer(buffer))
            return hasher.finalize()
        }
    }

    static func hashKey(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.withUnsafeBytes { buffer in
            var hasher = Hasher()
            hasher.combine(bytes: buffer)
            return hasher.finalize()
        }
    }

    /// The slot of a known correlation id (outstanding or tombstone).
    func lookup(_ correlationId: String) -> Int32? {
        let key = Self.hashKey(correlationId)
        if let slot = index[key], slots[Int(slot)].idBytes.elementsEqual(correlationId.utf8) {
            return slot
        }
        if collidedIndex.isEmpty { return nil }
        return collidedIndex[Array(correlationId.utf8)]
    }

    /// Puts a request into a free slot and indexes it. Does not schedule a timer.
    mutating func insertSlot(_ persisted: PersistedRequest, recovered: Bool) throws(CorrelationError) -> Int32
    {
        let request = persisted.request
        let idCount = request.correlationId.utf8.count
        guard idCount <= Int(UInt16.max) else { throw .fieldTooLong(field: "correlationId", length: idCount) }
        let ticketCount = request.ticketId?.utf8.count
        if let ticketCount, ticketCount > Int(Int16.max) {
            throw .fieldTooLong(field: "ticketId", length: ticketCount)
        }
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
            recovered: recovered, timestampUtc: request.timestampUtc, deadline: persisted.deadline,
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
        let key = Self.hashKey(request.correlationId)
        if index[key] == nil {
            index[key] = slot
        } else {
            collidedIndex[Array(request.correlationId.utf8)] = slot
        }
        if state == .outstanding {
            outstandingCount += 1
            trackOutstandingAge(slot: slot)
        } else {
            tombstoneCount += 1
        }
        return slot
    }

    /// Forgets a tombstone whose retention ended.
    mutating func freeSlot(_ slot: Int32) {
        let record = slots[Int(slot)]
        let key = Self.hashKey(record.idBytes)
        if index[key] == slot {
            index[key] = nil
        } else {
            collidedIndex[Array(record.idBytes)] = nil
        }
        timers.remove(slot: slot)
        if record.state == .outstanding { outstandingCount -= 1 } else { tombstoneCount -= 1 }
        slots[Int(slot)] = .empty
        freeSlots.append(slot)
    }
}
