import Synchronization
import Testing

@testable import AMQPClient

@Suite("PublishBatchWaiter")
struct PublishBatchWaiterTests {
    /// What the completion was called with, and how often.
    final class Outcomes: Sendable {
        let calls = Mutex<[Result<[AMQPPublishConfirmation], AMQPError>]>([])
        var completion: PublishBatchWaiter.Completion {
            { result in self.calls.withLock { $0.append(result) } }
        }
        var count: Int { calls.withLock(\.count) }
        var last: Result<[AMQPPublishConfirmation], AMQPError>? { calls.withLock(\.last) }
    }

    @Test func completesOnceEveryPositionIsSettledWithTheConfirmationsInOrder() throws {
        let outcomes = Outcomes()
        let waiter = PublishBatchWaiter(count: 3, completion: outcomes.completion)
        waiter.settle(2, with: .success(.acked))
        waiter.settle(0, with: .success(.nacked))
        #expect(outcomes.count == 0)
        waiter.settle(1, with: .success(.acked))
        #expect(outcomes.count == 1)
        #expect(try outcomes.last?.get() == [.nacked, .acked, .acked])
    }

    @Test func failsWithTheFirstErrorOnceTheRestIsSettled() {
        let outcomes = Outcomes()
        let waiter = PublishBatchWaiter(count: 4, completion: outcomes.completion)
        waiter.settle(0, with: .success(.acked))
        waiter.settle(1, with: .failure(AMQPError(code: .channelClosed, reason: "first")))
        #expect(outcomes.count == 0)
        waiter.fail(from: 2, with: AMQPError(code: .connectionClosed, reason: "second"))
        #expect(outcomes.count == 1)
        guard case .failure(let error) = outcomes.last else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.reason == "first")
    }

    @Test func anEmptyBatchCompletesAtOnce() throws {
        let outcomes = Outcomes()
        _ = PublishBatchWaiter(count: 0, completion: outcomes.completion)
        #expect(outcomes.count == 1)
        #expect(try outcomes.last?.get() == [])
    }
}
