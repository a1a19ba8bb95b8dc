/// The one test seam of the store: code that runs inside each transaction just before its
/// `COMMIT` (tests freeze a batch there, or copy the files as a crash would leave them).
///
/// A task-local value, read once when a store opens, so no production initialiser carries
/// it: a test opens its engine inside `StoreTestHooks.$beforeCommit.withValue(...)`.
enum StoreTestHooks {
    @TaskLocal static var beforeCommit: (@Sendable () -> Void)?
}
