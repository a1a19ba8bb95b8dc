import Synchronization
import Testing

/// Polls `condition` (yielding and sleeping a millisecond between tries) until it holds or
/// about `tries` milliseconds have passed; returns whether it held. For waiting on another task
/// to reach a state, so that a missing state fails the test instead of hanging it. Never use it
/// to assert how fast something happens.
func eventually(tries: Int = 5_000, _ condition: () async -> Bool) async -> Bool {
    for _ in 0..<tries {
        if await condition() { return true }
        await Task.yield()
        try? await Task.sleep(for: .milliseconds(1))
    }
    return await condition()
}

/// The result of `task` once it has finished, or nil, with a recorded issue, if it has not
/// finished after about `tries` milliseconds: a task that never returns (a lost wake-up, an
/// ignored cancellation) fails the test instead of hanging it.
func finishedResult<Success: Sendable, Failure: Error>(
    of task: Task<Success, Failure>, tries: Int = 5_000,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> Result<Success, Failure>? {
    let box = ResultBox<Success, Failure>()
    Task { box.store(await task.result) }
    if await !eventually(tries: tries, { box.load() != nil }) {
        Issue.record("the task did not finish", sourceLocation: sourceLocation)
    }
    return box.load()
}

private final class ResultBox<Success: Sendable, Failure: Error>: Sendable {
    private let value = Mutex<Result<Success, Failure>?>(nil)

    func store(_ result: Result<Success, Failure>) { value.withLock { $0 = result } }

    func load() -> Result<Success, Failure>? { value.withLock { $0 } }
}
