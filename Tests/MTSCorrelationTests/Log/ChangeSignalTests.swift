import Synchronization
import TestSupport
import Testing

@testable import MTSCorrelation

/// The event count the log's readers and the paused result loop wait on: a signal between a
/// waiter's look at the state and its wait is not missed, a waiter stays until a signal comes,
/// and cancellation ends a wait. A missed signal hangs a test: the time limit fails it.
@Suite(.timeLimit(.minutes(1))) struct ChangeSignalTests {
    @Test func aSignalBetweenTheTicketAndTheWaitIsNotMissed() async {
        let changes = ChangeSignal()
        let ticket = changes.ticket()
        changes.signal()
        await changes.wait(since: ticket)  // returns at once; a lost signal would hang here
        #expect(changes.waiting == 0)
    }

    @Test func aWaiterStaysUntilTheNextSignal() async throws {
        let changes = ChangeSignal()
        let woken = Atomic<Bool>(false)
        let ticket = changes.ticket()
        let waiter = Task {
            await changes.wait(since: ticket)
            woken.store(true, ordering: .sequentiallyConsistent)
        }
        try await waitUntil("the waiter registered", timeout: .seconds(10)) { changes.waiting == 1 }
        let early = woken.load(ordering: .sequentiallyConsistent)
        #expect(!early, "a registered waiter is suspended")
        changes.signal()
        await waiter.value
        let late = woken.load(ordering: .sequentiallyConsistent)
        #expect(late)
        // A ticket taken after that signal waits for the next one.
        let later = Task { [ticket = changes.ticket()] in await changes.wait(since: ticket) }
        try await waitUntil("the second waiter registered", timeout: .seconds(10)) { changes.waiting == 1 }
        changes.signal()
        await later.value
    }

    @Test func cancellationEndsAWait() async throws {
        let changes = ChangeSignal()
        let waiter = Task { [ticket = changes.ticket()] in await changes.wait(since: ticket) }
        try await waitUntil("the waiter registered", timeout: .seconds(10)) { changes.waiting == 1 }
        waiter.cancel()
        await waiter.value
        #expect(changes.waiting == 0)
        // Already cancelled before it waits: returns at once.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await changes.wait(since: changes.ticket())
        }
        await cancelled.value
    }
}
