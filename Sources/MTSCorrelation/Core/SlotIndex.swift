/// Id hash → slot: an open-addressing hash table with linear probing, 8 bytes a bucket. The
/// outstanding requests' index, and the tombstones' (their positions as slots).
///
/// Why not `[Int: Int32]` keyed by the id's hash: Dictionary hashes its `Int` key again (a
/// second SipHash per lookup), spends 12 bytes a bucket, and needed a side table for ids whose
/// 64-bit hashes collide. Here a bucket keeps 32 bits of the id's hash (its home position and a
/// filter before the bytes are compared) and the slot; the caller compares the bytes. In a
/// scratch driver of the engine (register + match, this machine) the change took it from about
/// 330 000–390 000 to 470 000–530 000 pairs/s.
///
/// The hash is ``CorrelationCore/idHash(_:)``, `Hasher` (seeded per process), so crafted ids cannot force collisions; the
/// index is never persisted.
struct SlotIndex: Sendable {
    private struct Bucket: Sendable {
        var tag: UInt32
        /// A slot, or `empty` / `deleted`.
        var slot: Int32
    }

    private static let empty: Int32 = -1
    private static let deleted: Int32 = -2

    private var buckets: [Bucket] = Array(repeating: Bucket(tag: 0, slot: SlotIndex.empty), count: 16)
    private var mask = 15
    private(set) var count = 0
    private var deletedCount = 0

    /// Grows the table at once to hold `count` slots, so that they go in without resizes.
    mutating func reserveCapacity(_ count: Int) {
        var size = buckets.count
        while count * 4 > size * 3 { size *= 2 }
        guard size > buckets.count else { return }
        let old = buckets
        buckets = Array(repeating: Bucket(tag: 0, slot: Self.empty), count: size)
        mask = size - 1
        deletedCount = 0
        for bucket in old where bucket.slot >= 0 { place(bucket) }
    }

    /// The slot whose id is `matches`, among the slots indexed under `hash`.
    func find(hash: UInt32, matches: (Int32) -> Bool) -> Int32? {
        var position = Int(hash) & mask
        while true {
            let bucket = buckets[position]
            if bucket.slot == Self.empty { return nil }
            if bucket.slot >= 0, bucket.tag == hash, matches(bucket.slot) { return bucket.slot }
            position = (position + 1) & mask
        }
    }

    /// Indexes `slot` under `hash`. The id must not be indexed already.
    mutating func insert(hash: UInt32, slot: Int32) {
        if (count + deletedCount + 1) * 4 > buckets.count * 3 { resize() }
        var position = Int(hash) & mask
        while buckets[position].slot >= 0 { position = (position + 1) & mask }
        if buckets[position].slot == Self.deleted { deletedCount -= 1 }
        buckets[position] = Bucket(tag: hash, slot: slot)
        count += 1
    }

    /// Removes `slot`, indexed under `hash`.
    mutating func remove(hash: UInt32, slot: Int32) {
        var position = Int(hash) & mask
        while buckets[position].slot != slot {
            precondition(buckets[position].slot != Self.empty, "removing a slot that is not indexed")
            position = (position + 1) & mask
        }
        buckets[position].slot = Self.deleted
        count -= 1
        deletedCount += 1
    }

    /// Doubles the table when it is mostly live, or rebuilds it at its size when deleted markers
    /// fill it (purges after retention leave them behind).
    private mutating func resize() {
        let size = (count + 1) * 2 > buckets.count ? buckets.count * 2 : buckets.count
        let old = buckets
        buckets = Array(repeating: Bucket(tag: 0, slot: Self.empty), count: size)
        mask = size - 1
        deletedCount = 0
        for bucket in old where bucket.slot >= 0 { place(bucket) }
    }

    /// Puts a bucket in the first empty place from its home (a table without deleted markers).
    private mutating func place(_ bucket: Bucket) {
        var position = Int(bucket.tag) & mask
        while buckets[position].slot != Self.empty { position = (position + 1) & mask }
        buckets[position] = bucket
    }
}
