extension JSONValue {
    /// Appends the value as compact JSON (no whitespace) to `bytes`: members in document order,
    /// numbers exactly as written (`2.50` stays `2.50`), strings escaped minimally (`"`, `\`
    /// and control characters; everything else as UTF-8).
    public func appendCompact(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let number): bytes.append(contentsOf: number.text.utf8)
        case .string(let string): Self.appendString(string, to: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.appendCompact(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.appendString(member.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                member.value.appendCompact(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `string` as a JSON string literal (RFC 8259 escaping). The one copy of it: the
    /// daemon's record writer uses it too, once per string field of every record.
    public static func appendString(_ string: String, to bytes: inout [UInt8]) {
        var string = string
        // Native strings are contiguous UTF-8 already (no copy); any other one is made so.
        string.withUTF8 { input in
            bytes.reserveCapacity(bytes.count + input.count + 2)
            bytes.append(UInt8(ascii: "\""))
            // Runs without anything to escape are copied in bulk.
            var runStart = 0
            for index in input.indices {
                let byte = input[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                    continue
                }
                if runStart < index { bytes.append(contentsOf: input[runStart..<index]) }
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default:
                    bytes.append(contentsOf: [
                        UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hexDigit(byte >> 4), hexDigit(byte & 0x0F),
                    ])
                }
            }
            if runStart < input.count { bytes.append(contentsOf: input[runStart...]) }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// `0`...`9`, `a`...`f` for a value below 16.
    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
