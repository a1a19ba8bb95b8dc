/// A binary min-heap of (fire time, slot) with a position index, so that inserting, removing
/// any slot and popping the earliest cost O(log n). Each slot has at most one entry.
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

    mutating func popFirst() -> Entry? {
        guard let top = entries.first else { return nil }
        remove(slot: top.slot)
        return top
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let moving = entries[child]
        while child > 0 {
            let parent = (child - 1) / 2
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
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && entries[right].fireAt < entries[left].fireAt ? right : left
            guard entries[smaller].fireAt < moving.fireAt else { break }
            entries[parent] = entries[smaller]
            positions[Int(entries[parent].slot)] = Int32(parent)
            parent = smaller
        }
        entries[parent] = moving
        positions[Int(moving.slot)] = Int32(parent)
    }
}
