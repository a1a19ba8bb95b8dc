/// Where a value sits in a document, built only as deep as validation walks.
///
/// Paths of leaf fields are rendered to text only when a violation is reported, so valid messages
/// never pay for string building.
indirect enum JSONPath: Sendable {
    case root
    case key(JSONPath, String)
    case index(JSONPath, Int)

    /// The path of member `key` of the object at this path.
    func appending(_ key: String) -> JSONPath { .key(self, key) }

    /// The path of element `index` of the array at this path.
    func appending(index: Int) -> JSONPath { .index(self, index) }

    /// `content.exchangeRate[0].rate`; `$` for the root; odd keys as `["a b"]`.
    var rendered: String {
        var text = ""
        render(into: &text)
        return text.isEmpty ? "$" : text
    }

    private func render(into text: inout String) {
        switch self {
        case .root:
            return
        case .key(let parent, let key):
            parent.render(into: &text)
            if Self.isPlainKey(key) {
                if !text.isEmpty { text += "." }
                text += key
            } else {
                text += "[" + Self.quoted(key) + "]"
            }
        case .index(let parent, let index):
            parent.render(into: &text)
            text += "[\(index)]"
        }
    }

    /// Keys of letters, digits, `_` and `-` (not starting with a digit or `-`) print bare.
    private static func isPlainKey(_ key: String) -> Bool {
        guard let first = key.utf8.first, !(first >= 0x30 && first <= 0x39), first != UInt8(ascii: "-") else {
            return false
        }
        return key.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F
                || byte == 0x2D
        }
    }

    /// `key` as a JSON string literal.
    static func quoted(_ key: String) -> String {
        var text = "\""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 {
                    text += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }
}
