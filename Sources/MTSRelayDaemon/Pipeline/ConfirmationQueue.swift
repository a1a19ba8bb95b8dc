import MTSCorrelation
import Synchronization

/// Results whose records every sink accepted, waiting to be confirmed to the engine and
/// acknowledged: the result loop's tasks append one by one, its confirmer takes them all at
/// once, so that confirms (and the store transactions behind them) are batched however many
/// results are under way.
///
/// Kept, not replaced by swift-async-algorithms' `AsyncChannel` or an `AsyncStream`: those
/// hand over one element per `next()`, and the point here is to take everything that
/// accumulated in one call, so that one store transaction confirms it (a missing feature, not
/// a measurement).
final class ConfirmationQueue: Sendable {
    struct Item: Sendable {
        var id: CorrelationResult.ID
        /// The reply's delivery, when the result came from one.
        var entry: DeliveryRegistry.Entry?
    }

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

    /// No more items will come; ``next()`` returns nil once the queue is empty.
    func finish() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// Everything appended so far, waiting while there is nothing; nil once finished and empty.
    /// One consumer. Not cancellable: it ends by ``finish()``, so that items appended before
    /// the end are still confirmed.
    func next() async -> [Item]? {
        while true {
            let (items, finished) = state.withLock { state in
                defer { state.items = [] }
                return (state.items, state.finished)
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
