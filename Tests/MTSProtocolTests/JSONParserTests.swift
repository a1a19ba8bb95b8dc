import Testing

@testable import MTSProtocol

@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONValue.parse(Array(text.utf8))
    }

    func parseError(_ text: String) -> JSONParseError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("literals, arrays and objects in document order")
    func structure() throws {
        let value = try parse(#" {"b": [true, false, null], "a": {}, "c": []} "#)
        #expect(
            value
                == .object(
                    JSONObject(members: [
                        .init(key: "b", value: .array([.bool(true), .bool(false), .null])),
                        .init(key: "a", value: .object(JSONObject())),
                        .init(key: "c", value: .array([])),
                    ])))
    }

    @Test("escapes, including \\u and surrogate pairs")
    func escapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC""#) == .string("é€"))
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""x\u0000y""#) == .string("x\u{0}y"))
        #expect(try parse("\"héllo 😀\"") == .string("héllo 😀"))
    }

    @Test(
        "invalid strings are errors",
        arguments: [
            #""\ud83d""#, #""\ude00""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\x""#, #""\u12G4""#, "\"a\nb\"",
            #""abc"#,
        ])
    func invalidStrings(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test("invalid UTF-8 in a string is an error")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22]) }
    }

    @Test("numbers: integers within Int64 are integers, everything else keeps its text")
    func numbers() throws {
        #expect(try parse("0") == .number(.integer(0)))
        #expect(try parse("-0") == .number(.integer(0)))
        #expect(try parse("9223372036854775807") == .number(.integer(.max)))
        #expect(try parse("-9223372036854775808") == .number(.integer(.min)))
        #expect(try parse("9223372036854775808") == .number(.literal("9223372036854775808")))
        #expect(try parse("-9223372036854775809") == .number(.literal("-9223372036854775809")))
        #expect(try parse("1.0") == .number(.literal("1.0")))
        #expect(try parse("1e3") == .number(.literal("1e3")))
        #expect(try parse("-2.5E-3") == .number(.literal("-2.5E-3")))
        #expect(JSONNumber.literal("9223372036854775808").isIntegerLiteral)
        #expect(!JSONNumber.literal("1e3").isIntegerLiteral)
        #expect(JSONNumber.literal("2.155").fractionDigitCount == 3)
    }

    @Test(
        "malformed numbers are errors",
        arguments: ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "1.5.2"])
    func malformedNumbers(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test("structural errors carry the byte offset")
    func structuralErrors() {
        #expect(
            parseError(#"{"a" 1}"#) == JSONParseError(offset: 5, reason: "expected ':' after an object key"))
        #expect(parseError(#"{"a": 1,}"#) == JSONParseError(offset: 8, reason: "expected a string key"))
        #expect(parseError("[1 2]") == JSONParseError(offset: 3, reason: "expected ',' or ']' in an array"))
        #expect(
            parseError("{} x") == JSONParseError(offset: 3, reason: "unexpected 'x' after the JSON value"))
        #expect(parseError("tru") == JSONParseError(offset: 0, reason: "unexpected 't', expected a value"))
        #expect(
            parseError("") == JSONParseError(offset: 0, reason: "unexpected end of input, expected a value"))
    }

    @Test("nesting is limited, and deep input is an error rather than a crash")
    func depthLimit() throws {
        let limit = JSONParser.maximumDepth
        _ = try parse(String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
        #expect(
            parseError(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1))
                != nil)
        #expect(parseError(String(repeating: "[{\"a\":", count: 200_000)) != nil)
    }

    @Test("duplicate keys are kept by the parser and reported with their paths")
    func duplicateKeys() throws {
        let bytes = Array(#"{"a": 1, "b": [{"x": 1, "x": 2}], "a": 3}"#.utf8)
        let parsed = try JSONValue.parseDocument(bytes)
        #expect(parsed.hasDuplicateKeys)
        #expect(parsed.value.objectValue?.keys == ["a", "b", "a"])
        #expect(
            parsed.value.duplicateKeyViolations() == [
                Violation(path: "b[0].x", reason: "duplicate key"),
                Violation(path: "a", reason: "duplicate key"),
            ])
        let many = "{" + (0..<40).map { "\"k\($0)\": \($0)" }.joined(separator: ",") + ", \"k3\": 0}"
        #expect(try JSONValue.parseDocument(Array(many.utf8)).hasDuplicateKeys)
        #expect(
            try !JSONValue.parseDocument(
                Array(many.replacingOccurrences(of: "\"k3\": 0", with: "\"k99\": 0").utf8)
            ).hasDuplicateKeys)
    }

    @Test("odd keys are quoted in paths")
    func oddKeyPaths() {
        let path = JSONPath.root.appending("content").appending("a b").appending(index: 2).appending("x\"y")
        #expect(path.rendered == #"content["a b"][2]["x\"y"]"#)
        #expect(JSONPath.root.rendered == "$")
    }
}
