/// Which schema a message is checked against.
public enum MessageKind: String, Sendable, Hashable, CaseIterable {
    /// Told from the message's top-level fields: an MTS envelope, a jackpot request or a jackpot ticket.
    case auto
    /// An MTS Transaction 3.0 reply or request (a request when its content type is not a reply
    /// type and it has `operatorId`).
    case mts
    /// The body of `POST /be/tickets`.
    case jackpotRequest = "jackpot-request"
    /// The body of a 200 answer to `POST /be/tickets`.
    case jackpotTicket = "jackpot-ticket"

    /// The kind `auto` settles on for `document`: MTS when it has any envelope field, a jackpot
    /// request when it has `token`, `odds_diff` or `events`, a jackpot ticket when it has
    /// `gross_payout`, `user_id` or `id`, MTS otherwise (so its violations name the envelope).
    static func detect(_ document: JSONObject?) -> MessageKind {
        guard let document else { return .mts }
        func hasAny(_ keys: [String]) -> Bool { keys.contains { document[$0] != nil } }
        if hasAny(["correlationId", "operation", "version", "content", "timestampUtc"]) { return .mts }
        if hasAny(["token", "odds_diff", "events"]) { return .jackpotRequest }
        if hasAny(["gross_payout", "user_id", "id"]) { return .jackpotTicket }
        return .mts
    }
}
