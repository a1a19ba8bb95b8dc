/// One way a message breaks a rule: where (a JSON path) and why (plain words).
///
/// Paths name fields from the document root without a leading `$`: `content.exchangeRate[0].rate`.
/// The root itself is `$`; it carries problems with the whole message (not JSON, not an object).
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    /// The JSON path of the offending field, or `$` for the whole message.
    public var path: String
    /// What is wrong: "missing", "expected an integer, found a string", ...
    public var reason: String

    /// A violation of the field at `path` for `reason`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `<path>: <reason>`.
    public var description: String { "\(path): \(reason)" }
}
