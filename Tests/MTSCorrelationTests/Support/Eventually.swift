import Synchronization
import TestSupport
import Testing

/// The result of `task` once it has finished, or nil, with a recorded issue, if it has not
/// finished after about `tries` milliseconds: a task that never returns (a lost wake-up, an
/// ignored cancellation) fails the test instead of hanging it.
func finishedResult<Success: Sendable, Failure: Error>(
    of task: Task<Success, Failure>, tries: Int = 5_000,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> Result<Success, Failure>? {
    let box = ResultBox<Success, Failure>()
    Task { box.store(await task.result) }
    if await !eventually(timeout: .milliseconds(tries), { box.load() != nil }) {
        Issue.record("the task did not finish", sourceLocation: sourceLocation)
    }
    return box.load()
}

private final class ResultBox<Success: Sendable, Failure: Error>: Sendable {
    private let value = Mutex<Result<Success, Failure>?>(nil)

    func store(_ result: Result<Success, Failure>) { value.withLock { $0 = result } }

    func load() -> Result<Success, Failure>? { value.withLock { $0 } }
}
