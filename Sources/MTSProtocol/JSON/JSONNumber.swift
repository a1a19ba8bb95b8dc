/// A JSON number as written in the message.
///
/// Integer literals that fit in `Int64` are held as integers; every other number (with a
/// fraction or an exponent, or an integer beyond `Int64`) keeps its literal text, so that `1.0`
/// and `1e3` are never mistaken for integers and large values are never rounded.
public enum JSONNumber: Sendable, Hashable {
    /// An integer literal (no fraction, no exponent) within `Int64`.
    case integer(Int64)
    /// Any other number, as its literal text.
    case literal(String)

    /// Whether the literal has neither a fraction nor an exponent (it may still exceed `Int64`).
    public var isIntegerLiteral: Bool {
        switch self {
        case .integer: true
        case .literal(let text):
            !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }
        }
    }

    /// The number as a `Double` (rounded where it must be).
    public var doubleValue: Double {
        switch self {
        case .integer(let value): Double(value)
        case .literal(let text): Double(text) ?? .nan
        }
    }

    /// The count of digits after the decimal point as written (0 for integers; the exponent is ignored).
    public var fractionDigitCount: Int {
        guard case .literal(let text) = self else { return 0 }
        let utf8 = text.utf8
        guard let point = utf8.firstIndex(of: UInt8(ascii: ".")) else { return 0 }
        return utf8[utf8.index(after: point)...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            .count
    }

    /// The number as written (integers rendered in decimal).
    public var text: String {
        switch self {
        case .integer(let value): String(value)
        case .literal(let text): text
        }
    }
}
