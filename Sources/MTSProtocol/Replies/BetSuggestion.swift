/// What MTS proposes instead of a bet it would not take as requested.
public enum BetSuggestion: Sendable, Hashable {
    /// `{"type": "alt-stake", "stake": {...}}`: an alternative stake (the stake object kept as sent).
    case alternativeStake(stake: JSONObject)
    /// `{"type": "reoffer", "mode": "unit" | "total", "stake": [...]}`: a reoffer of stakes.
    case reoffer(mode: ReofferMode, stakes: [JSONObject])

    /// The `type` values a suggestion may have.
    public enum Kind: String, Sendable, CaseIterable {
        case alternativeStake = "alt-stake"
        case reoffer
    }

    /// Whether a reoffer's stakes are per unit or for the whole bet.
    public enum ReofferMode: String, Sendable, Hashable, CaseIterable {
        case unit
        case total
    }
}
