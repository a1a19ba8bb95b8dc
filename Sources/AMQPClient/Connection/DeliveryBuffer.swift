import DequeModule
import Synchronization

/// The deliveries of one consumer between the connection's thread, which appends without
/// ever waiting, and the task that reads them, one at a time or in batches.
///
/// Its size is bounded by the channel's prefetch: the broker sends no more unacknowledged
/// deliveries than that. It also keeps the consumer's window (which deliveries are not settled
/// yet), from which ``AMQPConsumer/flow`` tells whether the broker may still hold messages back.
///
/// Kept hand-made: an `AsyncStream` could take the thread's appends, but not hand over a batch
/// of what is there without waiting, nor keep the window (missing features); the module also
/// stays free of SwiftNIO. The broker tests of ``AMQPConsumer`` cover it.
final class DeliveryBuffer: Sendable {
    private struct State {
        var deliveries: Deque<AMQPDelivery> = []
        /// Delivery tags handed out and not yet acked, nacked or rejected, ascending (the broker
        /// numbers a channel's deliveries in order).
        var unsettled: Deque<UInt64> = []
        /// The prefetch the window is measured against; nil until the reader sets it.
        var prefetch: Int?
        /// Whether the window is full now, and when it last stopped being full.
        var windowFull = false
        var windowFreedAt: ContinuousClock.Instant?
        var waiter: CheckedContinuation<Void, Never>?
        /// Set when the consumer ended; `.some(nil)` is a clean end.
        var end: AMQPError??
        /// Called once when the reader goes away early (cancelled or dropped).
        var onAbandon: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    /// Sets what to do when the reader stops reading before the consumer ended.
    func setAbandonHandler(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.onAbandon = handler }
    }

    /// Called by the connection's thread; never waits.
    func append(_ delivery: AMQPDelivery) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard state.end == nil else { return nil }
            state.deliveries.append(delivery)
            state.unsettled.append(delivery.deliveryTag)
            if let prefetch = state.prefetch, state.unsettled.count >= prefetch { state.windowFull = true }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Sets the prefetch the window is measured against.
    func setPrefetch(_ prefetch: Int) {
        state.withLock { state in
            state.prefetch = prefetch
            state.windowFull = state.unsettled.count >= prefetch
        }
    }

    /// A delivery of this consumer was acked, nacked or rejected (`multiple`: every delivery up
    /// to `tag`). Settling a tag twice, or one this consumer never had, changes nothing.
    func settled(_ tag: UInt64, multiple: Bool) {
        state.withLock { state in
            if multiple {
                while let first = state.unsettled.first, first <= tag { state.unsettled.removeFirst() }
            } else if let index = state.unsettled.firstIndex(of: tag) {
                // Deliveries are mostly settled in order: the search ends at the first few.
                state.unsettled.remove(at: index)
            }
            if state.windowFull, let prefetch = state.prefetch, state.unsettled.count < prefetch {
                state.windowFull = false
                state.windowFreedAt = .now
            }
        }
    }

    /// The consumer's buffer and window now.
    var flow: AMQPConsumer.Flow {
        state.withLock { state in
            AMQPConsumer.Flow(
                buffered: state.deliveries.count, unsettled: state.unsettled.count,
                windowFull: state.windowFull, windowFreedAt: state.windowFreedAt)
        }
    }

    /// Ends the sequence after the deliveries already buffered: with an error, or cleanly.
    func finish(error: AMQPError?) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = .some(error)
            state.onAbandon = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The reader is gone: stop the consumer if it is still running.
    func abandon() {
        let handler: (@Sendable () -> Void)? = state.withLock { state in
            defer { state.onAbandon = nil }
            return state.onAbandon
        }
        handler?()
    }

    /// Up to `max` deliveries: waits for the first, then takes what is already buffered.
    /// Returns an empty array when the consumer ended cleanly; throws its error otherwise,
    /// or `CancellationError` when the task is cancelled.
    func next(max: Int) async throws -> [AMQPDelivery] {
        while true {
            try Task.checkCancellation()
            let taken: Result<[AMQPDelivery], any Error>? = state.withLock { state in
                if !state.deliveries.isEmpty {
                    let count = Swift.min(max, state.deliveries.count)
                    let batch = Array(state.deliveries.prefix(count))
                    state.deliveries.removeFirst(count)
                    return .success(batch)
                }
                switch state.end {
                case .some(.some(let error)): return .failure(error)
                case .some(.none): return .success([])
                case .none: return nil
                }
            }
            if let taken { return try taken.get() }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if !state.deliveries.isEmpty || state.end != nil || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
        }
    }
}
