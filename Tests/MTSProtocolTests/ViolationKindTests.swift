import Testing

@testable import MTSProtocol

/// Code decides by a violation's kind, never by its words.
@Suite struct ViolationKindTests {
    @Test(arguments: ["{not json", "[1, 2]", "\"text\"", ""])
    func aMessageThatIsNotAnObjectIsOneNotAnObjectViolation(_ text: String) {
        let violations = MTSReply.decode(Array(text.utf8)).violations
        #expect(violations.count == 1)
        #expect(violations.first?.kind == .notAnObject)
        #expect(violations.first?.path == "$")
    }

    @Test func aMissingFieldIsMissingAndAWrongTypeIsInvalid() {
        let body =
            #"{"content":{"type":"ticket-reply"},"timestampUtc":"soon","operation":"ticket-placement","version":"3.0"}"#
        let violations = MTSReply.decode(Array(body.utf8)).violations
        #expect(violations.contains { $0.path == "correlationId" && $0.kind == .missing })
        #expect(violations.contains { $0.path == "timestampUtc" && $0.kind == .invalid })
        #expect(!violations.contains { $0.kind == .notAnObject })
    }
}
