/// Counts deliveries of the same message while the relay runs, and decides when to stop
/// trying one: a message the relay cannot decide (its registration or its dead letter keeps
/// failing) comes back from the broker again and again, and would otherwise hold the relay in
/// a loop for good. Pure: the broker's redelivered flag and a key in, a decision out.
///
/// A first delivery (not redelivered) counts as attempt 1 and keeps no entry: only messages
/// that came back are remembered, at most ``capacity`` of them (past that the counts start
/// again, which delays a give-up but never causes one).
struct AttemptCounter: Sendable {
    /// Deliveries allowed; the next one is given up (`deadLetter.maxAttempts`).
    let limit: Int
    private var attempts: [String: Int] = [:]
    static let capacity = 65_536

    init(limit: Int) {
        self.limit = limit
    }

    /// Records a delivery of the message `key`; returns the attempts made when this delivery
    /// is past ``limit`` (give it up), nil to try it.
    mutating func recordDelivery(key: String, redelivered: Bool) -> Int? {
        guard redelivered else {
            attempts.removeValue(forKey: key)
            return nil
        }
        // A redelivered message unseen by this process was delivered at least once before.
        let attempt = (attempts[key] ?? 1) + 1
        if attempt > limit {
            attempts.removeValue(forKey: key)
            return attempt - 1
        }
        if attempts.count >= Self.capacity { attempts.removeAll(keepingCapacity: true) }
        attempts[key] = attempt
        return nil
    }

    /// Messages remembered (for tests).
    var count: Int { attempts.count }
}
