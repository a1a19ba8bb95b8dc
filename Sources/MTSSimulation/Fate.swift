/// What the simulated MTS does with one correlation id, and so which results the relay owes.
public enum Fate: String, Sendable, Hashable, CaseIterable, Codable {
    /// The request, then one reply within the timeout: `matched`.
    case normal
    /// The reply is published (and confirmed) before its request: `matched`, through the
    /// relay's unmatched grace.
    case replyFirst = "reply-first"
    /// The request and no reply: `timeout`.
    case drop
    /// The request, and one reply after the request's deadline: `timeout`, then `late`.
    case late
    /// The request and the same reply twice: `matched`, then `duplicate`.
    case duplicate
    /// A reply for a correlation id no request carries: `unmatched`.
    case unsolicited
    /// The request, a malformed reply, then a valid reply: `invalid` and `matched`. When the
    /// malformed reply is anonymous (no `correlation_id` property, no readable body id) its
    /// `invalid` record has a null correlation id and is counted, not attributed.
    case malformed

    /// Whether this fate publishes a request.
    public var hasRequest: Bool { self != .unsolicited }

    /// Whether the relay's result depends on the request's timeout expiring.
    public var waitsForTimeout: Bool { self == .drop || self == .late }

    /// The outcomes the relay owes for this correlation id, in the order it writes them.
    /// - Parameter anonymousMalformed: the malformed reply cannot be attributed to the id.
    public func expectedOutcomes(anonymousMalformed: Bool = false) -> [ResultOutcome] {
        switch self {
        case .normal, .replyFirst: [.matched]
        case .drop: [.timeout]
        case .late: [.timeout, .late]
        case .duplicate: [.matched, .duplicate]
        case .unsolicited: [.unmatched]
        case .malformed: anonymousMalformed ? [.matched] : [.invalid, .matched]
        }
    }
}
