import Testing

@testable import MTSProtocol

@Suite("validate command output")
struct MessageReportTests {
    @Test(
        "auto tells every fixture's kind and prints ok with operation and content type",
        arguments: [
            (Fixture.ticketInformReply, "x.json: ok (ticket-placement-inform ticket-inform-reply)"),
            (Fixture.cancelReply, "x.json: ok (ticket-cancel cancel-reply)"),
            (
                Fixture.casinoSessionsInformReply,
                "x.json: ok (casino-sessions-inform casino-sessions-inform-reply)"
            ),
            (Fixture.ticketRequest, "x.json: ok (ticket-placement ticket)"),
            (Fixture.cancelRequest, "x.json: ok (ticket-cancel cancel)"),
            (Fixture.jackpotRequest, "x.json: ok (jackpot-request jackpot)"),
            (Fixture.jackpotTicket, "x.json: ok (jackpot-ticket jackpot)"),
        ])
    func autoOk(_ fixture: Fixture, _ line: String) throws {
        #expect(MessageReport.check(try fixture.bytes, as: .auto).lines(file: "x.json") == [line])
    }

    @Test("an invalid message prints invalid and one indented line per violation")
    func invalidLines() throws {
        let bytes = try Fixture.ticketInformReply.replacing(#""rate": "1.07326""#, with: #""rate": "1,07""#)
        #expect(
            MessageReport.check(bytes, as: .auto).lines(file: "-") == [
                "-: invalid", #"  content.exchangeRate[0].rate: "1,07" does not match ^\d{1,8}(\.\d{1,8})?$"#,
            ])
    }

    @Test("an explicit kind is applied even where auto would choose another")
    func explicitKind() throws {
        let report = MessageReport.check(try Fixture.ticketInformReply.bytes, as: .jackpotTicket)
        #expect(!report.isValid)
        #expect(report.violations.contains(Violation(path: "gross_payout", reason: "missing")))
        #expect(
            MessageReport.check(try Fixture.jackpotRequest.bytes, as: .mts).violations.contains(
                Violation(path: "correlationId", reason: "missing")))
    }

    @Test("detection by fields")
    func detection() {
        #expect(MessageKind.detect(nil) == .mts)
        #expect(
            MessageKind.detect(JSONObject(members: [.init(key: "odds_diff", value: .null)]))
                == .jackpotRequest)
        #expect(
            MessageKind.detect(JSONObject(members: [.init(key: "user_id", value: .null)])) == .jackpotTicket)
        #expect(
            MessageKind.detect(
                JSONObject(members: [.init(key: "version", value: .null), .init(key: "token", value: .null)]))
                == .mts)
        #expect(MessageKind.detect(JSONObject()) == .mts)
    }
}
