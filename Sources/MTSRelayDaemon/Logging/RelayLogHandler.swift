import Glibc
import Logging

/// The daemon's log backend: one line per event on standard error, as `logfmt` or JSON.
///
/// Operators scrape these lines (the metrics are log lines too), so the format is stable:
/// `ts`, `level`, `msg`, then the metadata sorted by key. Numbers given as metadata
/// (`.stringConvertible(42)`) stay numbers in JSON. Bootstrapped once, in `main`.
public struct RelayLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let format: RelayConfiguration.Log.Format
    private let label: String

    public init(label: String, format: RelayConfiguration.Log.Format, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        var line = Self.render(
            format: format, timestamp: Timestamp.nowMilliseconds(), level: event.level,
            message: "\(event.message)",
            metadata: merged)
        line.append(0x0A)
        // One write per line: lines from concurrent tasks never interleave.
        line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// One log line without its newline.
    static func render(
        format: RelayConfiguration.Log.Format, timestamp: Int64, level: Logger.Level, message: String,
        metadata: Logger.Metadata
    ) -> [UInt8] {
        switch format {
        case .json:
            var writer = JSONWriter(capacity: 256)
            writer.beginObject()
            writer.key("ts")
            writer.string(Timestamp.iso8601(milliseconds: timestamp))
            writer.key("level")
            writer.string(level.rawValue)
            writer.key("msg")
            writer.string(message)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                writer.key(key)
                writeJSON(value, to: &writer)
            }
            writer.endObject()
            return writer.bytes
        case .logfmt:
            var text =
                "ts=\(Timestamp.iso8601(milliseconds: timestamp)) level=\(level.rawValue) msg=\(logfmtValue(message))"
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                appendLogfmt(key: key, value: value, to: &text)
            }
            return Array(text.utf8)
        }
    }

    private static func writeJSON(_ value: Logger.Metadata.Value, to writer: inout JSONWriter) {
        switch value {
        case .string(let string):
            writer.string(string)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as any BinaryInteger: writer.rawJSON(Array("\(number)".utf8))
            case let number as Double where number.isFinite: writer.rawJSON(Array("\(number)".utf8))
            case let flag as Bool: writer.bool(flag)
            default: writer.string("\(convertible)")
            }
        case .dictionary(let dictionary):
            writer.beginObject()
            for (key, nested) in dictionary.sorted(by: { $0.key < $1.key }) {
                writer.key(key)
                writeJSON(nested, to: &writer)
            }
            writer.endObject()
        case .array(let values):
            writer.beginArray()
            for element in values { writeJSON(element, to: &writer) }
            writer.endArray()
        }
    }

    private static func appendLogfmt(key: String, value: Logger.Metadata.Value, to text: inout String) {
        switch value {
        case .dictionary(let dictionary):
            for (nestedKey, nested) in dictionary.sorted(by: { $0.key < $1.key }) {
                appendLogfmt(key: "\(key).\(nestedKey)", value: nested, to: &text)
            }
        case .array(let values):
            text += " \(key)=\(logfmtValue(values.map { "\($0)" }.joined(separator: ",")))"
        case .string(let string):
            text += " \(key)=\(logfmtValue(string))"
        case .stringConvertible(let convertible):
            text += " \(key)=\(logfmtValue("\(convertible)"))"
        }
    }

    /// Quotes a logfmt value when it is empty or holds a space, `=` or `"`.
    static func logfmtValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\"") }
        guard needsQuotes else { return value }
        var escaped = "\""
        for character in value.unicodeScalars {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped + "\""
    }
}
