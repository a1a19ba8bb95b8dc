import DequeModule
import Synchronization

/// The engine's results in decision order, in a buffer between the engine (which appends) and
/// one consumer (which takes them, one at a time or in batches).
///
/// ## Bounded
/// The buffer is bounded for the results the engine makes on its own, as time passes: timeouts
/// and unmatched expiries. The engine's timer loop fires only as many timers as there is
/// ``capacity`` left, and otherwise waits until the consumer has taken half the buffer; the
/// requests whose timers wait stay outstanding in the pending table, which is bounded in turn
/// (registration waits at capacity). So a consumer that stops — its sinks are down — holds
/// memory at `capacity` results, and everything resumes when it takes results again.
///
/// Results caused by an input — a reply, a rejected message, a registration that resolves held
/// replies — are always accepted, even past `capacity`: refusing them would block the caller,
/// and their number is already bounded by the inputs the caller holds unacknowledged (its
/// prefetch).
public final class CorrelationResults: AsyncSequence, Sendable {
    public typealias Element = CorrelationResult

    /// The most results the timer loop lets wait here.
    public let capacity: Int

    private struct State {
        var buffer = Deque<CorrelationResult>()
        var finished = false
        var consumer: CheckedContinuation<Void, Never>?
        var roomWaiter: CheckedContinuation<Void, Never>?

        var queued: Int { buffer.count }
    }

    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0, "a result buffer holds at least one result")
        self.capacity = capacity
    }

    // MARK: Consumer side

    /// Takes up to `max` results, waiting while there are none. Returns nil once the engine has
    /// shut down and everything was taken, or when the calling task is cancelled and nothing is
    /// buffered (a cancelled consumer still gets what is already there).
    /// One consumer at a time.
    public func next(max: Int) async -> [CorrelationResult]? {
        precondition(max > 0, "take at least one result")
        while true {
            let (taken, roomWaiter, finished) = state.withLock {
                state -> ([CorrelationResult], CheckedContinuation<Void, Never>?, Bool) in
                let count = Swift.min(max, state.buffer.count)
                guard count > 0 else { return ([], nil, state.finished) }
                let taken = Array(state.buffer.prefix(count))
                state.buffer.removeFirst(count)
                var waiter: CheckedContinuation<Void, Never>?
                if state.roomWaiter != nil, capacity - state.queued >= roomThreshold {
                    waiter = state.roomWaiter
                    state.roomWaiter = nil
                }
                return (taken, waiter, state.finished)
            }
            roomWaiter?.resume()
            if !taken.isEmpty { return taken }
            if finished || Task.isCancelled { return nil }
            await waitForResults()
        }
    }

    /// Results waiting to be taken.
    public var count: Int { state.withLock { $0.queued } }

    /// Whether a consumer waits for results, and whether the timer loop waits for room: what
    /// tests wait on instead of sleeping.
    public var waiting: (consumer: Bool, room: Bool) {
        state.withLock { ($0.consumer != nil, $0.roomWaiter != nil) }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(results: self)
    }

    /// Yields results one by one, taking them from the buffer in batches of up to 64.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let results: CorrelationResults
        private var batch: [CorrelationResult] = []
        private var position = 0

        init(results: CorrelationResults) {
            self.results = results
        }

        public mutating func next() async -> CorrelationResult? {
            if position == batch.count {
                guard let taken = await results.next(max: 64) else { return nil }
                batch = taken
                position = 0
            }
            defer { position += 1 }
            return batch[position]
        }
    }

    private func waitForResults() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.buffer.isEmpty || state.finished || Task.isCancelled { return true }
                    precondition(state.consumer == nil, "CorrelationResults has one consumer at a time")
                    state.consumer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.consumer = nil }
                return state.consumer
            }?.resume()
        }
    }

    // MARK: Engine side

    /// The timer loop waits for this much room once the buffer is full: taking results one by
    /// one must not wake it for each.
    private var roomThreshold: Int { Swift.max(1, capacity / 2) }

    /// How many more results the timer loop may make now.
    var room: Int { state.withLock { Swift.max(0, capacity - $0.queued) } }

    /// Appends decided results.
    func append(_ results: [CorrelationResult]) {
        guard !results.isEmpty else { return }
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.finished else { return nil }
            state.buffer.append(contentsOf: results)
            defer { state.consumer = nil }
            return state.consumer
        }?.resume()
    }

    /// Returns once the buffer has room for half its capacity, the buffer is finished or the task
    /// is cancelled. Suspends even when there is room already, so the caller yields.
    func waitForRoom() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if capacity - state.queued >= roomThreshold || state.finished || Task.isCancelled {
                        return true
                    }
                    precondition(state.roomWaiter == nil, "one timer loop at a time")
                    state.roomWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.roomWaiter = nil }
                return state.roomWaiter
            }?.resume()
        }
    }

    /// Whether ``finish()`` was called (the engine shut down).
    var isFinished: Bool { state.withLock { $0.finished } }

    /// Ends the sequence: the consumer takes what is buffered, then gets nil.
    func finish() {
        let (consumer, roomWaiter) = state.withLock { state in
            state.finished = true
            defer {
                state.consumer = nil
                state.roomWaiter = nil
            }
            return (state.consumer, state.roomWaiter)
        }
        consumer?.resume()
        roomWaiter?.resume()
    }
}
