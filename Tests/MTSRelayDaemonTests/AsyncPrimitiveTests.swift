import Synchronization
import TestSupport
import Testing

@testable import MTSRelayDaemon

/// The async semaphore the daemon keeps (no library has one).
@Suite struct AsyncPrimitiveTests {
    final class Peak: Sendable {
        private let state = Mutex((now: 0, peak: 0, order: [Int]()))
        func enter(_ index: Int) {
            state.withLock {
                $0.now += 1
                $0.peak = max($0.peak, $0.now)
                $0.order.append(index)
            }
        }
        func leave() { state.withLock { $0.now -= 1 } }
        var inside: Int { state.withLock { $0.now } }
        var peak: Int { state.withLock { $0.peak } }
        var order: [Int] { state.withLock { $0.order } }
    }

    @Test func theLimiterLetsAtMostItsLimitThrough() async {
        let limiter = AsyncLimiter(limit: 3)
        let peak = Peak()
        await withTaskGroup { group in
            for index in 0..<40 {
                group.addTask {
                    await limiter.acquire()
                    peak.enter(index)
                    // Hold the place until the limit is reached (or no one else can come).
                    await Self.until { peak.inside == 3 || peak.order.count == 40 }
                    peak.leave()
                    limiter.release()
                }
            }
        }
        #expect(peak.peak == 3)
        #expect(peak.order.count == 40)
    }

    @Test func waitersGetTheirPlaceInArrivalOrder() async {
        let limiter = AsyncLimiter(limit: 1)
        await limiter.acquire()
        let peak = Peak()
        await withTaskGroup { group in
            for index in 0..<5 {
                group.addTask {
                    await limiter.acquire()
                    peak.enter(index)
                    peak.leave()
                    limiter.release()
                }
                // Each waiter queues before the next one starts.
                await Self.until { limiter.waiting == index + 1 }
            }
            limiter.release()
        }
        #expect(peak.order == [0, 1, 2, 3, 4])
    }

    /// Yields until `condition` holds (the waits here are for other tasks to queue; they take
    /// microseconds, and the suite's time limit bounds a bug).
    static func until(_ condition: () -> Bool) async {
        while !condition() { await Task.yield() }
    }

    @Test func aWaiterCancelledInLineLeavesAtOnceAndTheOthersKeepTheirPlaces() async throws {
        let limiter = AsyncLimiter(limit: 1)
        await limiter.acquire()
        let first = Task { try await limiter.acquireUnlessCancelled() }
        await Self.until { limiter.waiting == 1 }
        let second = Task { try await limiter.acquireUnlessCancelled() }
        await Self.until { limiter.waiting == 2 }
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
        #expect(limiter.waiting == 1)
        limiter.release()
        try await second.value
        #expect(limiter.tryAcquire(upTo: 5) == 0, "the second holds the only place")
        limiter.release()
        #expect(limiter.tryAcquire(upTo: 5) == 1)
    }

    @Test func theBatchingQueueHandsOverAtMostMaxOldestFirst() async {
        let queue = BatchingQueue<Int>()
        queue.append(contentsOf: [1, 2, 3])
        queue.append(contentsOf: [4, 5])
        #expect(await queue.next(max: 2) == [1, 2])
        #expect(await queue.next() == [3, 4, 5])
        let waiting = Task { await queue.next(max: 10) }
        queue.append(contentsOf: [6])
        #expect(await waiting.value == [6])
        queue.finish()
        #expect(await queue.next() == nil)
    }

    /// What a session's settling task did not come to is taken whole when the session ends.
    @Test func theBatchingQueueGivesUpWhatIsLeftAtOnce() async {
        let queue = BatchingQueue<Int>()
        queue.append(contentsOf: [1, 2])
        #expect(await queue.next(max: 1) == [1])
        queue.append(contentsOf: [3])
        queue.finish()
        #expect(queue.removeAll() == [2, 3])
        #expect(queue.removeAll().isEmpty)
        #expect(await queue.next() == nil)
    }
}
