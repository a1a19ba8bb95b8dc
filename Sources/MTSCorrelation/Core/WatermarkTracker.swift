/// The event-time progress of one input (the reply queues, or the intake queues): one
/// watermark per queue, and the input's watermark is the lowest of them.
///
/// A queue's watermark says that no message stamped at or before it is still to come from that
/// queue. It only moves forward, and never past the relay's own clock: a message stamped in
/// the future (the envelope allows up to `Int64.max`) cannot make every deadline pass at once.
/// The input's watermark is unknown (nil) until every expected queue has reported one, so after
/// a start nothing is decided before each consumer has caught up or read past a deadline. A
/// queue whose consumer is disconnected simply stops reporting and keeps its last watermark,
/// holding the input's back until it is consumed again.
public struct WatermarkTracker: Sendable, Hashable {
    /// Every queue's watermark so far, in ms since the Unix epoch; nil until it reported.
    public private(set) var marks: [String: Int64?]
    /// The input's watermark: the lowest of the queues', or nil while one is unknown.
    public private(set) var combined: Int64?

    /// A tracker expecting `queues`; a queue that reports without being expected is added.
    public init(queues: [String]) {
        marks = Dictionary(queues.map { ($0, nil) }, uniquingKeysWith: { first, _ in first })
        combined = nil
    }

    /// Moves `queue`'s watermark to `value`, clamped to `now`; a lower value changes nothing.
    ///
    /// - Returns: whether the input's watermark moved forward.
    @discardableResult
    public mutating func advance(queue: String, to value: Int64, now: Int64) -> Bool {
        let clamped = min(value, now)
        if let known = marks[queue] ?? nil, known >= clamped { return false }
        marks[queue] = clamped
        let before = combined
        combined = marks.values.reduce(Int64?.some(.max)) { lowest, mark in
            guard let lowest, let mark else { return nil }
            return min(lowest, mark)
        }
        return combined != before
    }

    /// How far each queue's watermark trails `now`, in ms (nil while unknown), by queue name.
    public func lags(now: Int64) -> [(queue: String, lag: Int64?)] {
        marks.keys.sorted().map { queue in (queue, (marks[queue] ?? nil).map { now - $0 }) }
    }
}
