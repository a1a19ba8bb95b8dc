/// A JSON value as parsed from a message.
///
/// Objects keep their members in document order, duplicates included, so nothing the sender
/// wrote is lost; the relay still forwards the original bytes, never a re-encoding of this value.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The value's kind with its article, for violation reasons: "a string", "an integer", "null".
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let number):
            number.isIntegerLiteral ? "an integer" : "a number with a fraction or exponent"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The object, when this value is one.
    public var objectValue: JSONObject? {
        if case .object(let object) = self { object } else { nil }
    }

    /// The string, when this value is one.
    public var stringValue: String? {
        if case .string(let string) = self { string } else { nil }
    }

    /// The integer, when this value is an integer literal that fits in `Int64`.
    public var int64Value: Int64? {
        if case .number(.integer(let value)) = self { value } else { nil }
    }
}
