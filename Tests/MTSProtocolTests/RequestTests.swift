import Testing

@testable import MTSProtocol

@Suite("Requests for the intake")
struct RequestTests {
    @Test("the ticket and cancellation request examples decode")
    func examplesDecode() throws {
        let ticket = try #require(MTSRequest.decode(try Fixture.ticketRequest.bytes).request)
        #expect(ticket.correlationId == "9f1c2e7a-ticket-20931")
        #expect(ticket.operation == "ticket-placement")
        #expect(ticket.contentType == "ticket")
        #expect(ticket.timestampUtc == 1_689_752_904_000)
        #expect(ticket.operatorId == 9985)
        #expect(ticket.ticketId == "Ticket_20931")
        #expect(ticket.content["bets"] != nil)
        let cancel = try #require(MTSRequest.decode(try Fixture.cancelRequest.bytes).request)
        #expect(cancel.contentType == "cancel")
        #expect(cancel.ticketId == "Ticket_3690")
        #expect(MTSContentType.reply("cancel-reply", answers: cancel.contentType))
    }

    @Test("a request without ticketId is valid")
    func withoutTicketId() throws {
        let bytes = try Fixture.ticketRequest.replacing(#""ticketId": "Ticket_20931","#, with: "")
        #expect(MTSRequest.decode(bytes).request?.ticketId == nil)
    }

    @Test(
        "request envelope rules",
        arguments: [
            (#""operatorId": 9985,"#, "", "operatorId", "missing"),
            (
                #""operatorId": 9985,"#, #""operatorId": "9985","#, "operatorId",
                "expected an integer, found a string"
            ),
            (
                #""timestampUtc": 1689752904000"#, #""timestampUtc": 0"#, "timestampUtc",
                "0 is outside 1...9223372036854775807"
            ),
            (#""version": "3.0""#, #""version": "3""#, "version", #"expected "3.0", found "3""#),
            (
                #""ticketId": "Ticket_20931""#, #""ticketId": """#, "content.ticketId",
                "length 0 is outside 1...128"
            ),
            (#""correlationId": "9f1c2e7a-ticket-20931","#, "", "correlationId", "missing"),
            (
                #""type": "ticket","#, #""type": "cancel","#, "content.type",
                #""cancel" is not the request type of operation "ticket-placement" (expected ticket)"#
            ),
        ])
    func envelopeRules(_ old: String, _ new: String, _ path: String, _ reason: String) throws {
        let decoded = MTSRequest.decode(try Fixture.ticketRequest.replacing(old, with: new))
        #expect(decoded.request == nil)
        #expect(decoded.violations.contains(Violation(path: path, reason: reason)), "\(decoded.violations)")
    }

    @Test("an invalid request still yields its summary")
    func summary() throws {
        let decoded = MTSRequest.decode(
            try Fixture.cancelRequest.replacing(#""version": "3.0""#, with: #""version": 3"#))
        #expect(decoded.summary.correlationId == "ew24faU66psM")
        #expect(decoded.summary.operatorId == 9985)
        #expect(decoded.summary.contentType == "cancel")
        #expect(decoded.summary.ticketId == "Ticket_3690")
        #expect(
            decoded.violations == [Violation(path: "version", reason: "expected a string, found an integer")])
    }
}
