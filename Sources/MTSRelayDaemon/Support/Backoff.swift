/// Exponential backoff with full jitter: attempt n waits a random time in
/// `[base·2ⁿ / 2, base·2ⁿ]`, capped at `maximum`.
///
/// Half the interval is kept as a floor so that a reconnect storm still spreads out but never
/// retries in a tight loop.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    private(set) var attempt = 0

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt; each call doubles the interval up to `maximum`.
    public mutating func next<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Duration
    {
        let ceiling = min(maximum, initial * Int(1 << min(attempt, 30)))
        attempt += 1
        let ceilingNanoseconds = max(ceiling.nanoseconds, 1)
        let delay = Int64.random(in: (ceilingNanoseconds / 2)...ceilingNanoseconds, using: &generator)
        return .nanoseconds(delay)
    }

    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// Back to the initial interval, after a success.
    public mutating func reset() {
        attempt = 0
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
