import Foundation

/// How the simulated MTS breaks a reply that mts-relay must find `invalid`.
public enum MalformedVariant: String, Sendable, Hashable, CaseIterable, Codable {
    /// The first half of a valid reply: not JSON. The relay reads the id from the
    /// `correlation_id` property.
    case truncated
    /// `version` is `2.0`.
    case wrongVersion = "wrong-version"
    /// `content.code` is a string.
    case codeAsString = "code-as-string"
    /// `timestampUtc` is a string.
    case timestampAsString = "timestamp-as-string"
    /// Not JSON, and published without a `correlation_id` property: the relay's record has a
    /// null correlation id, so the checker counts these instead of attributing them.
    case anonymous

    /// The variants whose record carries the correlation id.
    public static let attributed: [MalformedVariant] = [
        .truncated, .wrongVersion, .codeAsString, .timestampAsString,
    ]

    /// Breaks `validBody` (a reply the factory rendered) this way.
    public func apply(to validBody: [UInt8]) -> [UInt8] {
        let text = String(decoding: validBody, as: UTF8.self)
        switch self {
        case .truncated:
            return Array(validBody.prefix(validBody.count / 2))
        case .wrongVersion:
            return Array(text.replacingFirst(#""version":"3.0""#, with: #""version":"2.0""#).utf8)
        case .codeAsString:
            return Array(text.quotingNumber(after: #""code":"#).utf8)
        case .timestampAsString:
            return Array(text.quotingNumber(after: #""timestampUtc":"#).utf8)
        case .anonymous:
            return Array("<<mts-sim: not a reply>>".utf8) + validBody.prefix(8)
        }
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }

    /// Puts the number that follows the first `key` in quotes.
    fileprivate func quotingNumber(after key: String) -> String {
        guard let keyRange = range(of: key) else { return self }
        var end = keyRange.upperBound
        while end < endIndex, self[end] == "-" || self[end].isNumber { end = index(after: end) }
        let number = self[keyRange.upperBound..<end]
        return String(self[..<keyRange.upperBound]) + "\"\(number)\"" + String(self[end...])
    }
}
