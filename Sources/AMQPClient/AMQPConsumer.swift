/// The deliveries of one consumer, in the order the broker sent them.
///
/// Iterate it (one delivery at a time) or call `nextBatch(max:)` (what is already there, at
/// least one), from one task at a time. The sequence ends with an error when the channel or
/// connection fails or the broker cancels the consumer (e.g. its queue was deleted), and
/// cleanly when the consumer is cancelled or the connection closed by the application.
/// When the last copy of the consumer goes away while it still runs, the consumer is
/// cancelled on the broker; unacknowledged deliveries return to the queue when the channel
/// closes.
public struct AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = AMQPDelivery

    /// The consumer tag the broker knows this consumer by.
    public let tag: String
    /// The channel the consumer runs on.
    public let channel: AMQPChannel
    let handle: Handle

    /// Keeps the buffer and cancels the consumer when the last reference goes away.
    final class Handle: Sendable {
        let buffer: DeliveryBuffer
        init(buffer: DeliveryBuffer) { self.buffer = buffer }
        deinit { buffer.abandon() }
    }

    /// Up to `max` deliveries: waits for the first, then takes what has already arrived.
    /// An empty array means the consumer ended cleanly.
    public func nextBatch(max: Int) async throws -> [AMQPDelivery] {
        try await handle.buffer.next(max: max)
    }

    /// Up to `max` deliveries, waiting at most `timeout` for the first: an empty array when
    /// none came in time, nil when the consumer ended cleanly. For loops that must do
    /// something regularly even when idle (a watchdog ping).
    public func nextBatch(max: Int, timeout: Duration) async throws -> [AMQPDelivery]? {
        let buffer = handle.buffer
        return try await withThrowingTaskGroup(of: [AMQPDelivery]?.self) { group in
            group.addTask {
                let batch = try await buffer.next(max: max)
                return batch.isEmpty ? nil : batch
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return []
            }
            // The first child to finish wins and the other is cancelled; but a batch the
            // reader already took from the buffer is never dropped, whichever finished first.
            var result: [AMQPDelivery]? = []
            var first = true
            while let outcome = await group.nextResult() {
                if first {
                    group.cancelAll()
                    first = false
                }
                switch outcome {
                case .success(.some(let batch)) where !batch.isEmpty: result = (result ?? []) + batch
                case .success(.some): continue  // the timer
                case .success(.none): result = nil
                case .failure(let error) where error is CancellationError: continue
                case .failure(let error): throw error
                }
            }
            try Task.checkCancellation()
            return result
        }
    }

    /// The consumer's buffer and window at one instant: what a reader needs to know whether the
    /// broker may still hold messages back from it.
    public struct Flow: Sendable, Equatable {
        /// Deliveries received and not yet taken by the reader.
        public var buffered: Int
        /// Deliveries received and not yet acked, nacked or rejected.
        public var unsettled: Int
        /// Whether `unsettled` has reached the prefetch set with ``setPrefetch(_:)``: the broker
        /// then sends nothing more until something is settled.
        public var windowFull: Bool
        /// When the window last stopped being full, or nil if it never was.
        public var windowFreedAt: ContinuousClock.Instant?

        /// Creates a flow value.
        public init(buffered: Int, unsettled: Int, windowFull: Bool, windowFreedAt: ContinuousClock.Instant?)
        {
            self.buffered = buffered
            self.unsettled = unsettled
            self.windowFull = windowFull
            self.windowFreedAt = windowFreedAt
        }
    }

    /// The consumer's buffer and window now.
    public var flow: Flow { handle.buffer.flow }

    /// Tells the consumer the prefetch its channel was given (``AMQPChannel/setPrefetch(_:)``),
    /// against which ``Flow/windowFull`` is measured.
    public func setPrefetch(_ prefetch: Int) {
        handle.buffer.setPrefetch(prefetch)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: Handle
        public mutating func next() async throws -> AMQPDelivery? {
            try await handle.buffer.next(max: 1).first
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: handle)
    }
}
