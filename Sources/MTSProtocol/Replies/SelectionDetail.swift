/// The outcome of one selection of a bet.
public struct SelectionDetail: Sendable, Hashable {
    /// The selection as MTS echoes it, kept as sent.
    public var selection: JSONObject
    /// The selection's validation code.
    public var code: Int64
    /// The code's readable text, 1-128 characters.
    public var message: String?
    /// The odds MTS accepted automatically in place of the requested ones, kept as sent.
    public var autoAcceptedOdds: JSONValue?
}
