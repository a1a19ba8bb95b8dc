/// A response code with what it means, or a note that no table knows it.
public struct CodeDescription: Sendable, Hashable, CustomStringConvertible {
    /// The code as received.
    public var code: Int64
    /// The description from the code tables, or "unknown code" when none has it.
    public var text: String
    /// Whether a code table (or a documented code range) describes the code.
    public var isKnown: Bool

    /// A description of `code`.
    public init(code: Int64, text: String, isKnown: Bool) {
        self.code = code
        self.text = text
        self.isKnown = isKnown
    }

    /// `-2013 Ticket time for cancellation expired`.
    public var description: String { "\(code) \(text)" }
}
