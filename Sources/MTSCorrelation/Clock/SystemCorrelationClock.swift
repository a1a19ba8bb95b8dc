import Foundation

/// Wall-clock time (the deadlines are wall-clock instants: `timestampUtc` plus a timeout).
public struct SystemCorrelationClock: CorrelationClock {
    /// Creates the system clock.
    public init() {}

    public func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    public func sleep(untilMilliseconds deadline: Int64) async throws {
        let delay = deadline - now()
        if delay > 0 {
            try await Task.sleep(for: .milliseconds(delay))
        } else {
            try Task.checkCancellation()
        }
    }
}
