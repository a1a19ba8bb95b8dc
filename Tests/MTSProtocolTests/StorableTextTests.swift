import Testing

@testable import MTSProtocol

/// Text the correlation store keeps is refused at classification when a backend could not hold
/// it, with the JSON path and the reason, the same for requests and replies.
@Suite struct StorableTextTests {
    let classifier = MessageClassifier(maxMessageBytes: 1 << 20, limitKey: "intake.maxMessageBytes")

    private func violations(request body: [UInt8], property: String? = nil) -> [Violation] {
        guard case .rejected(let rejection) = classifier.request(body, correlationProperty: property),
            case .violations(let violations) = rejection.reason
        else { return [] }
        return violations
    }

    struct Case: Sendable, CustomStringConvertible {
        var old: String
        var new: String
        var path: String
        var description: String { path }
    }

    @Test(arguments: [
        Case(
            old: #""correlationId": "9f1c2e7a-ticket-20931""#, new: #""correlationId": "a\u0000b""#,
            path: "correlationId"),
        Case(
            old: #""operation": "ticket-placement""#, new: #""operation": "ticket-placement\u0000""#,
            path: "operation"),
        Case(old: #""type": "ticket""#, new: #""type": "\u0000ticket""#, path: "content.type"),
        Case(
            old: #""ticketId": "Ticket_20931""#, new: #""ticketId": "Ticket\u0000_20931""#,
            path: "content.ticketId"),
    ])
    func aNulInStoredTextIsInvalidAtItsPath(_ test: Case) throws {
        let found = violations(request: try Fixture.ticketRequest.replacing(test.old, with: test.new))
        #expect(found.contains { $0.path == test.path && $0.reason.contains("U+0000") }, "\(found)")
    }

    @Test func aNulInAReplyIdIsInvalidToo() throws {
        let body = try Fixture.cancelReply.replacing(#""ew24faU66psM""#, with: #""ew24\u0000faU66psM""#)
        guard case .rejected(let rejection) = classifier.reply(body, correlationProperty: nil),
            case .violations(let found) = rejection.reason
        else {
            Issue.record("expected a rejection")
            return
        }
        #expect(found.map(\.path) == ["correlationId"])
    }

    @Test func anIdOverTheIndexLimitIsInvalidAndOneAtItIsValid() throws {
        let atLimit = String(repeating: "é", count: StorableText.maximumIdBytes / 2)
        let valid = try Fixture.ticketRequest.replacing("9f1c2e7a-ticket-20931", with: atLimit)
        #expect(violations(request: valid).isEmpty)
        let over = try Fixture.ticketRequest.replacing("9f1c2e7a-ticket-20931", with: atLimit + "x")
        let found = violations(request: over)
        #expect(found.map(\.path) == ["correlationId"])
        #expect(found.first?.reason.contains("1025 bytes") == true, "\(found)")
    }

    @Test func aPropertyStandingInForTheIdFollowsTheSameRule() throws {
        let body = try Fixture.ticketRequest.replacing(
            #""correlationId": "9f1c2e7a-ticket-20931","#, with: "")
        #expect(violations(request: body, property: "fine").isEmpty)
        let found = violations(request: body, property: "bad\u{0}id")
        #expect(found.map(\.path) == ["correlationId"])
        #expect(found.first?.reason.contains("AMQP correlation_id property") == true)
    }

    @Test(arguments: [#""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#])
    func aLoneSurrogateIsRefusedByTheParser(escaped: String) throws {
        let body = try Fixture.ticketRequest.replacing(#""9f1c2e7a-ticket-20931""#, with: escaped)
        let found = violations(request: body)
        #expect(found.map(\.path) == ["$"])
        #expect(found.first?.reason.contains("surrogate") == true, "\(found)")
    }

    @Test func validateReportsTheRuleAsTheRelayDoes() throws {
        let body = try Fixture.ticketRequest.replacing("9f1c2e7a-ticket", with: #"9f1c2e7a\u0000ticket"#)
        let report = MessageReport.check(body, as: .auto)
        #expect(!report.isValid)
        #expect(report.violations.map(\.path) == ["correlationId"])
    }
}
