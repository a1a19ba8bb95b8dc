import Testing

@testable import MTSCorrelation

/// The tombstone queue: found by id hash wherever it sits in its chunks, purged from the head,
/// held ones moved to the tail, deadlines of any distance kept.
@Suite struct TombstoneTableTests {
    static func tombstone(_ id: Int, purgeAt: Int64) -> Tombstone {
        Tombstone(
            idHash: CorrelationCore.idHash("id-\(id)"), timestampUtc: 1_000 + Int64(id), purgeAt: purgeAt,
            deadlineOffset: 0, bodyHash: UInt32(id), replyHash: 0, kind: 0, flags: [])
    }

    @Test func aTombstoneFitsIn40Bytes() {
        // The budget of a retained pair is 64 bytes with the index's 8-byte buckets.
        #expect(MemoryLayout<Tombstone>.stride == 40)
    }

    @Test func everyTombstoneIsFoundAcrossChunksUntilItIsPurged() {
        var table = TombstoneTable()
        let count = TombstoneTable.chunkSize * 2 + 100
        for id in 0..<count {
            table.append(Self.tombstone(id, purgeAt: Int64(id)), deadline: 1_000 + Int64(id) + 17)
        }
        #expect(table.count == count)
        for id in stride(from: 0, to: count, by: 97) {
            let position = table.find(CorrelationCore.idHash("id-\(id)"))
            #expect(position != nil)
            #expect(position.map { table[$0].bodyHash } == UInt32(id))
            #expect(position.map { table.deadline(at: $0) } == 1_000 + Int64(id) + 17)
        }
        #expect(table.find(CorrelationCore.idHash("id-\(count)")) == nil)
        for id in 0..<(TombstoneTable.chunkSize + 10) {
            #expect(table.first?.purgeAt == Int64(id))
            table.removeFirst()
        }
        #expect(table.count == count - TombstoneTable.chunkSize - 10)
        #expect(table.find(CorrelationCore.idHash("id-5")) == nil, "purged")
        let kept = TombstoneTable.chunkSize + 10
        #expect(table.find(CorrelationCore.idHash("id-\(kept)")).map { table[$0].bodyHash } == UInt32(kept))
        while table.count > 0 { table.removeFirst() }
        #expect(table.first == nil)
        table.append(Self.tombstone(1, purgeAt: 5), deadline: 1_018)
        #expect(
            table.find(CorrelationCore.idHash("id-1")).map { table[$0].purgeAt } == 5,
            "a new chunk after empty")
    }

    @Test func aRequeuedTombstoneMovesBehindTheOthersAndStaysFound() {
        var table = TombstoneTable()
        for id in 0..<3 { table.append(Self.tombstone(id, purgeAt: 10), deadline: .max) }
        table.requeueFirst(purgeAt: 20)
        #expect(table.first?.bodyHash == 1)
        #expect(table.lastPurgeAt == 20)
        let position = table.find(CorrelationCore.idHash("id-0"))
        #expect(position == table.lastPosition)
        // A deadline beyond the 32-bit offset (here: never) survives the move.
        #expect(position.map { table.deadline(at: $0) } == .max)
        #expect(table.farDeadlines.count == 3)
        while table.count > 0 { table.removeFirst() }
        #expect(table.farDeadlines.isEmpty)
    }

    @Test func flagsChangeInPlace() {
        var table = TombstoneTable()
        table.append(Self.tombstone(7, purgeAt: 1), deadline: 1_024)
        let position = table.find(CorrelationCore.idHash("id-7"))!
        table[position].flags.insert(.recorded)
        #expect(table.first?.flags == [.recorded])
    }
}
