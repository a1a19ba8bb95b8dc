import MTSSimulation

/// The replies waiting for their publish time, earliest first. A value owned by the run's
/// publishing loop.
struct ReplySchedule {
    /// One reply due at `dueAt` (milliseconds since the epoch).
    struct Item: Sendable {
        var dueAt: Int64
        var sequence: Int
        var exchange: PlannedExchange
        var reply: PlannedReply
    }

    /// Heap order: due time, then the order of adding. `slot` indexes `items`.
    private struct Key {
        var dueAt: Int64
        var sequence: Int
        var slot: Int
    }

    /// The heap moves small keys; the items (an exchange each) stay in their slots.
    private var heap: [Key] = []
    private var items: [Item?] = []
    private var freeSlots: [Int] = []
    private var sequence = 0

    mutating func add(_ exchange: PlannedExchange, _ reply: PlannedReply, dueAt: Int64) {
        sequence += 1
        let item = Item(dueAt: dueAt, sequence: sequence, exchange: exchange, reply: reply)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            items[slot] = item
        } else {
            slot = items.count
            items.append(item)
        }
        heap.append(Key(dueAt: dueAt, sequence: sequence, slot: slot))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Takes the replies due at `now` (milliseconds since the epoch), earliest first.
    mutating func takeDue(now: Int64) -> [Item] {
        var due: [Item] = []
        while let first = heap.first, first.dueAt <= now {
            let slot = popFirst().slot
            due.append(items[slot].take()!)
            freeSlots.append(slot)
        }
        return due
    }

    /// When the next reply is due (nil when none waits).
    var nextDue: Int64? { heap.first?.dueAt }

    var isEmpty: Bool { heap.isEmpty }

    private mutating func popFirst() -> Key {
        let first = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, Self.precedes(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.precedes(heap[right], heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    private static func precedes(_ a: Key, _ b: Key) -> Bool {
        (a.dueAt, a.sequence) < (b.dueAt, b.sequence)
    }
}
