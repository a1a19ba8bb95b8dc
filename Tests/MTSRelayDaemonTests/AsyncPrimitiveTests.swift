import Synchronization
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
                    try? await Task.sleep(for: .milliseconds(2))
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
                try? await Task.sleep(for: .milliseconds(20))
            }
            limiter.release()
        }
        #expect(peak.order == [0, 1, 2, 3, 4])
    }
}
