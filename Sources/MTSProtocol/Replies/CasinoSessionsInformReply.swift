/// The content of `casino-sessions-inform-reply`, exactly as the casino sessions seed lists it.
public struct CasinoSessionsInformReply: Sendable, Hashable {
    /// `casino-sessions-inform-reply`.
    public var type: String
    /// The response code.
    public var code: Int64
    /// The code's readable text, 1-128 characters (mandatory here).
    public var message: String
}
