/// A 4-ary min-heap of (fire time, slot) with a position index, so that inserting, removing
/// any slot and popping the earliest cost O(log n). Each slot has at most one entry.
///
/// Four children, not two: a node's children are 64 contiguous bytes (one cache line) and the
/// heap is half as deep, which matters once it holds a million deadlines and most levels miss
/// the cache.
struct DeadlineHeap: Sendable {
    struct Entry: Sendable {
        var fireAt: Int64
        var slot: Int32
    }

    private(set) var entries: [Entry] = []
    /// positions[slot] is the slot's index in `entries`, or -1.
    private var positions: [Int32] = []

    var count: Int { entries.count }
    var first: Entry? { entries.first }

    func contains(slot: Int32) -> Bool {
        Int(slot) < positions.count && positions[Int(slot)] >= 0
    }

    mutating func insert(slot: Int32, fireAt: Int64) {
        precondition(!contains(slot: slot), "slot already scheduled")
        while positions.count <= Int(slot) { positions.append(-1) }
        entries.append(Entry(fireAt: fireAt, slot: slot))
        positions[Int(slot)] = Int32(entries.count - 1)
        siftUp(entries.count - 1)
    }

    mutating func remove(slot: Int32) {
        guard contains(slot: slot) else { return }
        let index = Int(positions[Int(slot)])
        positions[Int(slot)] = -1
        let last = entries.removeLast()
        guard index < entries.count else { return }
        entries[index] = last
        positions[Int(last.slot)] = Int32(index)
        siftDown(index)
        siftUp(index)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let moving = entries[child]
        while child > 0 {
            let parent = (child - 1) / 4
            guard moving.fireAt < entries[parent].fireAt else { break }
            entries[child] = entries[parent]
            positions[Int(entries[child].slot)] = Int32(child)
            child = parent
        }
        entries[child] = moving
        positions[Int(moving.slot)] = Int32(child)
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let moving = entries[parent]
        let count = entries.count
        while true {
            let first = 4 * parent + 1
            guard first < count else { break }
            var smallest = first
            for child in (first + 1)..<min(first + 4, count)
            where entries[child].fireAt < entries[smallest].fireAt {
                smallest = child
            }
            guard entries[smallest].fireAt < moving.fireAt else { break }
            entries[parent] = entries[smallest]
            positions[Int(entries[parent].slot)] = Int32(parent)
            parent = smallest
        }
        entries[parent] = moving
        positions[Int(moving.slot)] = Int32(parent)
    }
}
