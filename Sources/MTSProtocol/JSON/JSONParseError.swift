/// Why a byte sequence is not one JSON value, and where that shows.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The zero-based byte offset in the input where the problem was found.
    public var offset: Int
    /// What is wrong, in plain words.
    public var reason: String

    /// An error at byte `offset` because of `reason`.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// "not valid JSON at byte 12: expected ':' after an object key".
    public var description: String { "not valid JSON at byte \(offset): \(reason)" }
}
