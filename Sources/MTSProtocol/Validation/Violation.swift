/// One way a message breaks a rule: where (a JSON path) and why (plain words).
///
/// Paths name fields from the document root without a leading `$`: `content.exchangeRate[0].rate`.
/// The root itself is `$`; it carries problems with the whole message (not JSON, not an object).
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem a violation is, for code that decides by it (the words in
    /// ``reason`` are for people).
    public enum Kind: Sendable, Hashable {
        /// A required field is absent.
        case missing
        /// The message as a whole is not a JSON object (not JSON at all, or another top level).
        case notAnObject
        /// Anything else: a wrong type, a value out of range, a duplicate key, a broken rule.
        case invalid
    }

    /// The JSON path of the offending field, or `$` for the whole message.
    public var path: String
    /// What is wrong: "missing", "expected an integer, found a string", ...
    public var reason: String
    /// What kind of problem it is.
    public var kind: Kind

    /// A violation of the field at `path` for `reason`.
    public init(path: String, reason: String, kind: Kind = .invalid) {
        self.path = path
        self.reason = reason
        self.kind = kind
    }

    /// Equal when path and reason are: the kind classifies the reason, it adds nothing to it.
    public static func == (lhs: Violation, rhs: Violation) -> Bool {
        lhs.path == rhs.path && lhs.reason == rhs.reason
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(path)
        hasher.combine(reason)
    }

    /// `<path>: <reason>`.
    public var description: String { "\(path): \(reason)" }
}
