import Synchronization

/// Items appended one batch at a time by several producers, taken by one consumer as
/// everything that accumulated (up to a maximum) in one call: the result loop's confirmations
/// (one store transaction confirms them all) and an active upstream's requests waiting to be
/// sent (one transaction marks them sent).
///
/// Kept, not replaced by swift-async-algorithms' `AsyncChannel` or an `AsyncStream`: those
/// hand over one element per `next()`, and the point here is to take everything that
/// accumulated in one call (a missing feature, not a measurement).
final class BatchingQueue<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func append(contentsOf items: [Item]) {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.items.append(contentsOf: items)
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// No more items will come; ``next(max:)`` returns nil once the queue is empty.
    func finish() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// Takes every item appended and not taken yet, without waiting.
    func removeAll() -> [Item] {
        state.withLock { state in
            defer { state.items.removeAll() }
            return Array(state.items)
        }
    }

    /// Up to `max` of the items appended so far, oldest first, waiting while there is none;
    /// nil once finished and empty. One consumer. Not cancellable: it ends by ``finish()``, so
    /// that items appended before the end are still taken.
    func next(max: Int = .max) async -> [Item]? {
        while true {
            let (items, finished) = state.withLock { state in
                let count = Swift.min(max, state.items.count)
                let taken = Array(state.items.prefix(count))
                state.items.removeFirst(count)
                return (taken, state.finished)
            }
            if !items.isEmpty { return items }
            if finished { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.items.isEmpty || state.finished { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
