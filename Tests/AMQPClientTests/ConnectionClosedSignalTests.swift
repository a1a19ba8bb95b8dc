import TestSupport
import Testing

@testable import AMQPClient

/// The one-shot broadcast of a connection's end, on its own (no broker needed).
@Suite struct ConnectionClosedSignalTests {
    @Test func everyWaiterLearnsWhyAndLateWaitersToo() async {
        let signal = ConnectionClosedSignal()
        let error = AMQPError(code: .connectionClosed, reason: "broker went away")
        await withTaskGroup { group in
            for _ in 0..<5 {
                group.addTask { #expect(await signal.wait()?.reason == "broker went away") }
            }
            // Once the waiters wait, close once (a second close changes nothing).
            #expect(await eventually { signal.waiterCount == 5 })
            #expect(!signal.isClosed)
            signal.close(with: error)
            signal.close(with: nil)
        }
        #expect(signal.isClosed)
        #expect(await signal.wait()?.reason == "broker went away")
    }

    @Test func aCancelledWaiterReturnsNilAndTheSignalStaysOpen() async {
        let signal = ConnectionClosedSignal()
        let waiter = Task { await signal.wait() }
        #expect(await eventually { signal.waiterCount == 1 })
        waiter.cancel()
        #expect(await waiter.value == nil)
        #expect(!signal.isClosed)
    }
}
