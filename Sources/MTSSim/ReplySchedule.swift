import MTSSimulation

/// The replies waiting for their publish time, earliest first.
actor ReplySchedule {
    /// One reply due at `dueAt` (milliseconds since the epoch).
    struct Item: Sendable {
        var dueAt: Int64
        var sequence: Int
        var exchange: PlannedExchange
        var reply: PlannedReply
    }

    private var heap: [Item] = []
    private var sequence = 0
    /// Set once no more replies will be added.
    private(set) var isClosed = false

    func add(_ exchange: PlannedExchange, _ reply: PlannedReply, dueAt: Int64) {
        sequence += 1
        heap.append(Item(dueAt: dueAt, sequence: sequence, exchange: exchange, reply: reply))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    func close() { isClosed = true }

    /// The replies due at `now`, and when the next one is due (nil when none waits).
    func takeDue(now: Int64) -> (due: [Item], next: Int64?) {
        var due: [Item] = []
        while let first = heap.first, first.dueAt <= now { due.append(popFirst()) }
        return (due, heap.first?.dueAt)
    }

    var isEmpty: Bool { heap.isEmpty }

    private func popFirst() -> Item {
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

    private static func precedes(_ a: Item, _ b: Item) -> Bool {
        (a.dueAt, a.sequence) < (b.dueAt, b.sequence)
    }
}
