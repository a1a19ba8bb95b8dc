import Synchronization

/// Counts down the messages that were waiting in a queue when consuming began, and says
/// once when they have all been consumed.
final class BacklogTracker: Sendable {
    private let remaining: Mutex<Int?>

    init(remaining: Int) {
        self.remaining = Mutex(remaining > 0 ? remaining : nil)
    }

    /// Records `count` consumed messages; true exactly once, when the backlog is through.
    func consumed(_ count: Int) -> Bool {
        remaining.withLock { remaining in
            guard let left = remaining else { return false }
            if left - count <= 0 {
                remaining = nil
                return true
            }
            remaining = left - count
            return false
        }
    }
}
