import Foundation

/// One hostile message for the daemon fuzz, built from small integers so that a failing case
/// shrinks to one readable message: a seed (a request for the intake or a reply), one mutation
/// and a choice of AMQP properties.
struct HostileMessage: Sendable, CustomStringConvertible {
    enum Queue: Sendable { case intake, replies }

    var queue: Queue
    var body: [UInt8]
    var correlationProperty: String?
    var contentType: String?
    var headers: [String: String]
    /// What was done, for the report of a shrunk failure.
    var label: String

    var description: String {
        let start = String(decoding: body.prefix(160), as: UTF8.self)
        return
            "\(label) to \(queue), correlation_id \(correlationProperty.map { "\"\($0)\"" } ?? "absent"), content type \(contentType ?? "absent"), \(body.count) bytes: \(start)"
    }

    /// Tokens put into strings and between bytes: NUL and lone surrogates as escapes, raw control
    /// characters, invalid escapes, broken UTF-8, structure characters.
    static let tokens: [[UInt8]] = [
        Array(#"\u0000"#.utf8), Array(#"\ud800"#.utf8), Array(#"\udfff"#.utf8), Array(#"\ud800\u0041"#.utf8),
        [0x00], [0x01], [0x1F], [0x7F], Array(#"\x"#.utf8), Array(#"\u12"#.utf8), Array(#"\"#.utf8),
        [0xC3], [0xFF, 0xFE], [0xED, 0xA0, 0x80], Array("\"".utf8), Array("{".utf8), Array("]".utf8),
        Array(#"\n\t\b"#.utf8), Array("é€😀".utf8), Array(#"\u00e9"#.utf8),
    ]

    /// Numbers beyond what the fields hold (int8, doubles, negative zero...).
    static let numbers = [
        "9223372036854775808", "-9223372036854775809", "1e400", "-0", "0", "1.5", "1E2",
        "99999999999999999999999999999", "-1", "9223372036854775807", "-1e-400",
    ]

    /// The string fields mutations aim at (those present in the seed are used).
    static let stringFields = [
        "correlationId", "operation", "type", "ticketId", "signature", "cancellationId", "message", "betId",
        "currency", "status", "version",
    ]
    static let numberFields = ["timestampUtc", "operatorId", "code", "limitId"]

    static let seedCount = 4
    static let mutationCount = 8
    static let propertyVariantCount = 6

    /// - Parameters: every integer is reduced modulo what it chooses from.
    static func make(
        id: String, seed: Int, mutation: Int, position: Int, token: Int, properties: Int
    ) -> HostileMessage {
        let (queue, seedText): (Queue, String) =
            switch seed % seedCount {
            case 0: (.intake, MTSMessages.ticketRequest(id))
            case 1: (.intake, MTSMessages.cancelRequest(id))
            case 2: (.replies, MTSMessages.ticketReply(id))
            default: (.replies, MTSMessages.cancelReply(id))
            }
        var body = Array(seedText.utf8)
        let tokenBytes = tokens[token % tokens.count]
        let label: String
        switch mutation % mutationCount {
        case 0:
            let at = position % (body.count + 1)
            body.insert(contentsOf: tokenBytes, at: at)
            label = "token \(String(decoding: tokenBytes, as: UTF8.self).debugDescription) at byte \(at)"
        case 1:
            let present = stringFields.filter { seedText.contains("\"\($0)\":\"") }
            let field = present[position % present.count]
            body = insert(tokenBytes, afterKey: "\"\(field)\":\"", in: body)
            label = "token \(String(decoding: tokenBytes, as: UTF8.self).debugDescription) in \(field)"
        case 2:
            let present = numberFields.filter { seedText.contains("\"\($0)\":") }
            let field = present[position % present.count]
            let number = numbers[token % numbers.count]
            body = replaceNumber(afterKey: "\"\(field)\":", with: number, in: body)
            label = "\(field) = \(number)"
        case 3:
            let depth = 65 + position % 200
            body =
                Array("{\"deep\":".utf8) + Array(repeating: UInt8(ascii: "["), count: depth)
                + Array(repeating: UInt8(ascii: "]"), count: depth) + [UInt8(ascii: ",")] + body.dropFirst()
            label = "nested \(depth) deep"
        case 4:
            let padding = 1_048_576 + position % 4096
            body =
                Array("{\"padding\":\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: padding)
                + Array("\",".utf8) + body.dropFirst()
            label = "\(body.count) bytes"
        case 5:
            let longId = (0..<(1 + position % 60)).map { _ in UUID().uuidString }.joined()
            body = Array(seedText.replacingOccurrences(of: "\"\(id)\"", with: "\"\(id)-\(longId)\"").utf8)
            label = "correlationId of \(id.utf8.count + 1 + longId.utf8.count) bytes"
        case 6:
            let documents = [
                "", "null", "[]", "\"\(id)\"", "{}", "{\"correlationId\":\"\(id)\"}", "{\"a\":1}x",
            ]
            body = Array(documents[position % documents.count].utf8)
            label = "the document \(String(decoding: body, as: UTF8.self).debugDescription)"
        default:
            // A duplicated key: JSON allows it, the relay refuses it.
            body = Array(
                seedText.replacingOccurrences(
                    of: "\"version\":\"3.0\"", with: "\"version\":\"3.0\",\"correlationId\":\"\(id)-twin\""
                ).utf8)
            label = "correlationId twice"
        }
        var message = HostileMessage(
            queue: queue, body: body, correlationProperty: id, contentType: "application/json", headers: [:],
            label: label)
        switch properties % propertyVariantCount {
        case 0: break
        case 1: message.correlationProperty = nil
        case 2: message.correlationProperty = "\(id)-other"
        case 3: message.contentType = ["text/plain", "application/octet-stream", ""][position % 3]
        case 4:
            message.correlationProperty = nil
            message.contentType = nil
        default:
            // The relay's own dead-letter headers already there (a dead letter fed back).
            message.headers = ["x-mts-relay-error": "earlier", "x-mts-relay-source-queue": "elsewhere"]
        }
        return message
    }

    private static func insert(_ token: [UInt8], afterKey key: String, in body: [UInt8]) -> [UInt8] {
        guard let range = firstRange(of: Array(key.utf8), in: body) else { return body }
        var body = body
        body.insert(contentsOf: token, at: range.upperBound)
        return body
    }

    private static func replaceNumber(afterKey key: String, with number: String, in body: [UInt8]) -> [UInt8]
    {
        guard let range = firstRange(of: Array(key.utf8), in: body) else { return body }
        var end = range.upperBound
        while end < body.count, body[end] != UInt8(ascii: ","), body[end] != UInt8(ascii: "}") { end += 1 }
        var body = body
        body.replaceSubrange(range.upperBound..<end, with: Array(number.utf8))
        return body
    }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }
}
