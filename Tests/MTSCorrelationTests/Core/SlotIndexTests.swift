import Testing

@testable import MTSCorrelation

/// The open-addressing id index, driven directly with chosen hash values: many slots share a
/// hash (the caller's `matches` closure tells them apart), others share only their home bucket.
@Suite struct SlotIndexTests {
    /// SplitMix64: a fixed sequence of well-mixed values, so failures reproduce.
    struct Generator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The index under test with a model of what it should hold.
    struct Checked {
        var index = SlotIndex()
        /// slot → the hash it is indexed under, for every slot indexed now.
        var live: [Int32: UInt32] = [:]

        mutating func insert(_ slot: Int32, hash: UInt32) {
            index.insert(hash: hash, slot: slot)
            live[slot] = hash
        }

        mutating func remove(_ slot: Int32) {
            let hash = live.removeValue(forKey: slot)!
            index.remove(hash: hash, slot: slot)
        }

        /// Looks `slot` up under `hash` as the core does (the closure compares "ids", here the
        /// slot numbers), and records a problem if the index offers the closure a slot that is not
        /// indexed under that very hash: the tag must filter those out.
        func find(_ slot: Int32, hash: UInt32) -> Int32? {
            var offeredWrongTag: [Int32] = []
            let found = index.find(hash: hash) { candidate in
                if live[candidate] != hash { offeredWrongTag.append(candidate) }
                return candidate == slot
            }
            #expect(offeredWrongTag.isEmpty, "offered \(offeredWrongTag) for hash \(hash)")
            return found
        }

        /// Every live slot is found under its hash; returns the number of misses.
        func misses() -> Int {
            live.filter { slot, hash in find(slot, hash: hash) != slot }.count
        }
    }

    /// Hashes with forced collisions: every group of `groupSize` consecutive slots shares one hash,
    /// and every third group has the same low 12 bits as the others of its kind (same home bucket
    /// in tables up to 4096 buckets, different tag).
    static func hash(ofSlot slot: Int32, groupSize: Int32 = 5) -> UInt32 {
        let group = slot / groupSize
        var generator = Generator(state: UInt64(group))
        let mixed = UInt32(truncatingIfNeeded: generator.next())
        return group % 3 == 0 ? (mixed & ~0xFFF) | 0x0AB : mixed
    }

    @Test func everyInsertedSlotIsFoundThroughCollisionsAndResizes() {
        var checked = Checked()
        var checkpoints = 0
        for slot in Int32(0)..<6_000 {
            checked.insert(slot, hash: Self.hash(ofSlot: slot))
            #expect(checked.index.count == Int(slot) + 1)
            // After each doubling of the content (the table resizes at 3/4 load) and at the end.
            let count = Int(slot) + 1
            if count & (count - 1) == 0 || count % 1_000 == 0 {
                checkpoints += 1
                #expect(checked.misses() == 0, "after \(count) inserts")
            }
        }
        #expect(checkpoints > 10)
        // Slots never inserted are not found, even under a hash shared by five indexed slots.
        for slot in Int32(6_000)..<6_100 {
            #expect(checked.find(slot, hash: Self.hash(ofSlot: slot - 100)) == nil)
            #expect(checked.find(slot, hash: Self.hash(ofSlot: slot)) == nil)
        }
    }

    @Test func removedSlotsAreNotFoundAndTheirBucketsAreReused() {
        var checked = Checked()
        let count: Int32 = 3_000
        for slot in Int32(0)..<count { checked.insert(slot, hash: Self.hash(ofSlot: slot)) }
        // Remove every other slot, in a scrambled order, so that deleted markers sit inside
        // probe chains of slots that stay.
        var generator = Generator(state: 42)
        var removed = stride(from: Int32(1), to: count, by: 2).map { $0 }
        removed.shuffle(using: &generator)
        for slot in removed { checked.remove(slot) }
        #expect(checked.index.count == Int(count) / 2)
        #expect(checked.misses() == 0, "the remaining slots are found past the deleted markers")
        for slot in removed { #expect(checked.find(slot, hash: Self.hash(ofSlot: slot)) == nil) }

        // The same ids come back in other slots (a slot is reused for another request).
        for slot in removed { checked.insert(slot + 10_000, hash: Self.hash(ofSlot: slot)) }
        #expect(checked.index.count == Int(count))
        #expect(checked.misses() == 0)
        for slot in removed { #expect(checked.find(slot, hash: Self.hash(ofSlot: slot)) == nil) }

        for slot in Array(checked.live.keys) { checked.remove(slot) }
        #expect(checked.index.count == 0)
        for slot in Int32(0)..<count {
            #expect(checked.index.find(hash: Self.hash(ofSlot: slot)) { _ in true } == nil)
        }
    }

    @Test func oneHashSharedByAThousandSlots() {
        var checked = Checked()
        let shared: UInt32 = 0xDEAD_BEEF
        for slot in Int32(0)..<1_000 { checked.insert(slot, hash: shared) }
        // Same home bucket, other tag.
        for slot in Int32(1_000)..<1_100 { checked.insert(slot, hash: shared ^ 0x8000_0000) }
        #expect(checked.misses() == 0)
        for slot in stride(from: Int32(0), to: 1_000, by: 3) { checked.remove(slot) }
        #expect(checked.misses() == 0)
        for slot in stride(from: Int32(0), to: 1_000, by: 3) {
            #expect(checked.find(slot, hash: shared) == nil)
        }
        // A hash with no slot finds nothing even when the closure accepts anything.
        #expect(checked.index.find(hash: shared ^ 0x4000_0000) { _ in true } == nil)
        let any = checked.index.find(hash: shared ^ 0x8000_0000) { _ in true }
        #expect(any.map { (1_000..<1_100).contains($0) } == true)
    }

    /// Insert/remove churn at a constant size: deleted markers must not fill the table (a lookup
    /// of a missing id probes until an empty bucket, so it would never return).
    @Test(.timeLimit(.minutes(1)))
    func churnAtAConstantSizeKeepsLookupsTerminating() {
        var checked = Checked()
        var generator = Generator(state: 7)
        var order: [Int32] = []
        for step in Int32(0)..<100_000 {
            checked.insert(step, hash: UInt32(truncatingIfNeeded: generator.next()))
            order.append(step)
            if order.count > 8 { checked.remove(order.removeFirst()) }
        }
        #expect(checked.index.count == 8)
        #expect(checked.misses() == 0)
        for _ in 0..<1_000 {
            #expect(
                checked.index.find(hash: UInt32(truncatingIfNeeded: generator.next())) { _ in false } == nil)
        }
    }

    @Test func theIdHashIsAFunctionOfTheBytes() {
        let a = CorrelationCore.idHash("correlation-1")
        #expect(CorrelationCore.idHash("correlation-1") == a)
        let bytes = Array("correlation-1".utf8)
        #expect(bytes.withUnsafeBytes { CorrelationCore.idHash($0) } == a)
        // Unseeded-ness is not promised (Hasher is seeded per process); only consistency is.
        #expect(CorrelationCore.idHash("correlation-2") != a)
    }
}
