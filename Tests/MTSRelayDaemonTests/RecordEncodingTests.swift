import Foundation
import Testing

@testable import MTSRelayDaemon

@Suite("Result records and JSON writing")
struct RecordEncodingTests {
    private func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func stringsAreEscapedPerRFC8259() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("s")
        writer.string("quote \" backslash \\ newline \n tab \t bell \u{07} é 😀")
        writer.endObject()
        let parsed = try object(writer.bytes)
        #expect(parsed["s"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{07} é 😀")
        #expect(!writer.bytes.contains(0x0A))
    }

    @Test func rawJSONDropsOnlyWhiteSpaceBetweenTokens() throws {
        let pretty = Array("{\n  \"a\" : [ 1, 2 ],\n  \"s\": \"keep  these \\\" spaces\\n\"\n}".utf8)
        var writer = JSONWriter()
        writer.rawJSON(pretty)
        #expect(
            String(decoding: writer.bytes, as: UTF8.self) == #"{"a":[1,2],"s":"keep  these \" spaces\n"}"#)
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (Int64(1_703_852_996_000), "2023-12-29T12:29:56.000Z"),
        (Int64(1_689_752_904_123), "2023-07-19T07:48:24.123Z"),
        (Int64(951_782_400_001), "2000-02-29T00:00:00.001Z"),
        (Int64(-1), "1969-12-31T23:59:59.999Z"),
        (Int64(253_402_300_799_999), "9999-12-31T23:59:59.999Z"),
    ])
    func iso8601Timestamps(milliseconds: Int64, expected: String) {
        #expect(Timestamp.iso8601(milliseconds: milliseconds) == expected)
    }

    @Test(arguments: [Int64.min, -1_000_007, -1, 0, 7, 10, 1_703_852_996_123, Int64.max])
    func integersAreWrittenAsTheirDecimalDigits(_ value: Int64) {
        var writer = JSONWriter()
        writer.int(value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
    }

    @Test func iso8601AgreesWithFoundationOnManyInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let milliseconds = Int64.random(in: 0...4_102_444_800_000, using: &generator)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(Timestamp.iso8601(milliseconds: milliseconds) == expected)
        }
    }

    @Test func recordHasEveryFieldAndSplicesTheOriginalMessages() throws {
        let request = Array(
            #"{"correlationId":"c1","operation":"ticket-placement","x-unknown":{"deep":[1,2]}}"#.utf8)
        let reply = Array(
            "{\n \"correlationId\": \"c1\",\n \"content\": {\"type\": \"ticket-reply\", \"extra\": true}\n}"
                .utf8)
        let record = ResultRecord(
            outcome: .matched, correlationId: "c1", operation: "ticket-placement", replyType: "ticket-reply",
            status: "accepted", code: 0, codeDescription: "Transaction processed", ticketId: "Ticket_1",
            requestedAt: 1_703_852_996_000, repliedAt: 1_703_852_996_250, deadlineAt: 1_703_853_013_000,
            emittedAt: 1_703_852_996_300,
            latencyMs: 250, queue: "replies", redelivered: false, request: request, reply: reply)
        let bytes = record.jsonBytes()
        #expect(!bytes.contains(0x0A))
        let parsed = try object(bytes)
        #expect(
            Set(parsed.keys)
                == [
                    "outcome", "correlationId", "operation", "replyType", "status", "code", "codeDescription",
                    "ticketId", "httpStatus", "requestedAt", "repliedAt", "deadlineAt", "emittedAt",
                    "latencyMs", "queue",
                    "redelivered", "node",
                    "request", "reply", "error",
                ])
        #expect(parsed["outcome"] as? String == "matched")
        #expect(parsed["requestedAt"] as? String == "2023-12-29T12:29:56.000Z")
        #expect(parsed["repliedAt"] as? String == "2023-12-29T12:29:56.250Z")
        #expect(parsed["deadlineAt"] as? String == "2023-12-29T12:30:13.000Z")
        #expect(parsed["latencyMs"] as? Int == 250)
        #expect(parsed["error"] is NSNull)
        #expect(parsed["httpStatus"] is NSNull)
        let splicedRequest = try #require(parsed["request"] as? [String: Any])
        #expect((splicedRequest["x-unknown"] as? [String: Any])?["deep"] as? [Int] == [1, 2])
        let splicedReply = try #require(parsed["reply"] as? [String: Any])
        #expect((splicedReply["content"] as? [String: Any])?["extra"] as? Bool == true)
    }

    @Test func invalidRecordCarriesItsErrorAndNullsWhatItLacks() throws {
        let record = ResultRecord(
            outcome: .invalid, correlationId: nil, emittedAt: 0, queue: "intake", redelivered: true,
            error: "$: not JSON: unexpected byte 0x7B at offset 3")
        let parsed = try object(record.jsonBytes())
        #expect(parsed["correlationId"] is NSNull)
        #expect(parsed["request"] is NSNull)
        #expect(parsed["reply"] is NSNull)
        #expect(parsed["redelivered"] as? Bool == true)
        #expect(parsed["error"] as? String == "$: not JSON: unexpected byte 0x7B at offset 3")
    }
}

@Suite("Log lines")
struct RelayLogHandlerTests {
    @Test func jsonLinesKeepNumbersAsNumbers() throws {
        let line = RelayLogHandler.render(
            format: .json, timestamp: 0, level: .info, message: "metrics",
            metadata: [
                "pending": .stringConvertible(42), "queue": "r \"1\"",
                "latency": .dictionary(["p99": .stringConvertible(3.5)]),
            ])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(parsed["ts"] as? String == "1970-01-01T00:00:00.000Z")
        #expect(parsed["level"] as? String == "info")
        #expect(parsed["msg"] as? String == "metrics")
        #expect(parsed["pending"] as? Int == 42)
        #expect(parsed["queue"] as? String == "r \"1\"")
        #expect((parsed["latency"] as? [String: Any])?["p99"] as? Double == 3.5)
    }

    @Test func logfmtQuotesWhereNeededAndFlattensDictionaries() {
        let line = RelayLogHandler.render(
            format: .logfmt, timestamp: 0, level: .warning, message: "invalid reply",
            metadata: [
                "queue": "replies", "reason": "content.code: expected an integer",
                "sink": .dictionary(["accepted": .stringConvertible(3)]),
            ])
        #expect(
            String(decoding: line, as: UTF8.self)
                == #"ts=1970-01-01T00:00:00.000Z level=warning msg="invalid reply" queue=replies reason="content.code: expected an integer" sink.accepted=3"#
        )
    }
}
