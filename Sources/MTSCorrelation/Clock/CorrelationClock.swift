/// The engine's source of time: milliseconds since the Unix epoch, the unit of `timestampUtc`.
///
/// Inject ``ManualCorrelationClock`` in tests to drive time deterministically.
public protocol CorrelationClock: Sendable {
    /// The current time, in ms since the Unix epoch.
    func now() -> Int64
    /// Suspends until ``now()`` >= `deadline`. Throws `CancellationError` when the task is cancelled.
    func sleep(untilMilliseconds deadline: Int64) async throws
}
