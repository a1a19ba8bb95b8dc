import MTSProtocol

/// Writes compact JSON into a byte buffer, with no intermediate objects.
///
/// Used for result records (one line each) and JSON log lines, on the hot path of every
/// reply; hence bytes, not `JSONEncoder`.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"key":` ; the value follows with one of the value methods.
    mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    /// Writes `"key":` for a key known only at run time.
    mutating func key(_ key: String) {
        string(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ value: String) {
        separate()
        Self.appendQuoted(value, to: &bytes)
        needsComma = true
    }

    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    mutating func int(_ value: Int64) {
        separate()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits into a stack buffer, last first: no String per number.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value.magnitude
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - count)...]))
        }
        needsComma = true
    }

    /// `value` (ms since the epoch) as an ISO-8601 string, or null.
    mutating func timestamp(_ value: Int64?) {
        guard let value else { return null() }
        separate()
        bytes.append(UInt8(ascii: "\""))
        Timestamp.appendISO8601(milliseconds: value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func int(_ value: Int64?) {
        if let value { int(value) } else { null() }
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
        needsComma = true
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
        needsComma = true
    }

    /// Inserts a JSON value given as bytes, without its insignificant white space, so that a
    /// pretty-printed original still fits on one line. The bytes must be valid JSON.
    mutating func rawJSON(_ value: [UInt8]) {
        separate()
        bytes.reserveCapacity(bytes.count + value.count)
        // Copies runs between the white space it drops in bulk: a per-byte append was 4 % of
        // the relay's drain profile.
        value.withUnsafeBufferPointer { input in
            var inString = false
            var escaped = false
            var runStart = 0
            for index in input.indices {
                let byte = input[index]
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    continue
                }
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D:
                    if runStart < index { bytes.append(contentsOf: input[runStart..<index]) }
                    runStart = index + 1
                case UInt8(ascii: "\""): inString = true
                default: break
                }
            }
            if runStart < input.count { bytes.append(contentsOf: input[runStart...]) }
        }
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// Appends `value` as a JSON string literal (RFC 8259 escaping).
    static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        JSONValue.appendString(value, to: &bytes)
    }
}
