/// What the simulated Bet Engine does with one jackpot ticket request, and the record the
/// relay owes for it. The fate is the first part of the request's `token` (and correlation id),
/// `<fate>-<prefix>-<n>`, so the Bet Engine knows it from the body alone.
public enum JackpotFate: String, CaseIterable, Sendable, Hashable {
    /// 200 with a valid ticket: `matched`, accepted.
    case accepted
    /// 400 `{"code": 102, ...}`: `matched`, rejected.
    case e400
    /// 422: `matched`, rejected.
    case e422
    /// 429 (Retry-After: 0) the first time, then 200: `matched`, accepted, 2 POSTs.
    case busy
    /// 503 (Retry-After: 0) the first time, then 200: `matched`, accepted, 2 POSTs.
    case unavailable
    /// 500: `timeout`, outcome unknown.
    case e500
    /// 200 after the relay's timeout: `timeout`, outcome unknown (and a `late` record).
    case slow
    /// A body breaking the rules: `invalid`, never POSTed.
    case invalid

    /// The weights of a demo run's mix (per 100).
    public static let weights: [(JackpotFate, Int)] = [
        (.accepted, 70), (.e400, 6), (.e422, 4), (.busy, 5), (.unavailable, 5), (.e500, 4), (.slow, 4),
        (.invalid, 2),
    ]

    /// The fate of request `index` of a run: the weights laid out evenly (deterministic).
    public static func fate(of index: Int) -> JackpotFate {
        var slot = index % 100
        for (fate, weight) in weights {
            if slot < weight { return fate }
            slot -= weight
        }
        return .accepted
    }

    /// The fate named by a token `<fate>-...`, or nil.
    public init?(token: String) {
        guard let dash = token.firstIndex(of: "-") else { return nil }
        self.init(rawValue: String(token[..<dash]))
    }

    /// The final outcome the relay owes.
    public var expectedOutcome: String {
        switch self {
        case .accepted, .e400, .e422, .busy, .unavailable: "matched"
        case .e500, .slow: "timeout"
        case .invalid: "invalid"
        }
    }

    /// The record's `status` the relay owes (nil for a timeout or an invalid message).
    public var expectedStatus: String? {
        switch self {
        case .accepted, .busy, .unavailable: "accepted"
        case .e400, .e422: "rejected"
        case .e500, .slow, .invalid: nil
        }
    }

    /// POSTs the Bet Engine may see for one request.
    public var allowedPosts: Int {
        switch self {
        case .busy, .unavailable: 2
        case .invalid: 0
        default: 1
        }
    }

    /// The answer to POST number `attempt` (1-based): status, headers, body, and whether to
    /// answer only after the relay's timeout.
    public func answer(
        attempt: Int, ticketId: String
    ) -> (status: Int, headers: [(String, String)], body: String, afterTimeout: Bool) {
        switch self {
        case .e400: (400, [], #"{"code":102,"message":"Ticket odds changed"}"#, false)
        case .e422: (422, [], #"{"code":7,"message":"events.0.odds: not a number"}"#, false)
        case .e500: (500, [], "internal error", false)
        case .busy where attempt == 1: (429, [("Retry-After", "0")], "", false)
        case .unavailable where attempt == 1: (503, [("Retry-After", "0")], "", false)
        case .slow: (200, [], JackpotMessages.ticket(id: ticketId), true)
        default: (200, [], JackpotMessages.ticket(id: ticketId), false)
        }
    }
}
