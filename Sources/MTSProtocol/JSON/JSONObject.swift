/// A JSON object: its members in document order, duplicates included.
public struct JSONObject: Sendable, Hashable {
    /// One `"key": value` pair.
    public struct Member: Sendable, Hashable {
        /// The member's key, unescaped.
        public var key: String
        /// The member's value.
        public var value: JSONValue

        /// A member with `key` and `value`.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The members in document order.
    public var members: [Member]

    /// An object with `members`, in that order.
    public init(members: [Member] = []) {
        self.members = members
    }

    /// The value of the first member named `key`, or nil when there is none.
    ///
    /// A linear search: message objects have a handful of members, where this beats hashing.
    /// Comparing UTF-8 lengths first skips most full string comparisons.
    public subscript(key: String) -> JSONValue? {
        let length = key.utf8.count
        for member in members where member.key.utf8.count == length && member.key == key {
            return member.value
        }
        return nil
    }

    /// The keys in document order.
    public var keys: [String] { members.map(\.key) }
}
