import Testing

@testable import MTSProtocol

@Suite("Lenient where the relay carries data through")
struct LenientRuleTests {
    @Test("unknown fields at every level are accepted and kept")
    func unknownFieldsSurvive() throws {
        let bytes = try Fixture.ticketInformReply.text
            .replacingOccurrences(
                of: #""version": "3.0""#, with: #""version": "3.0", "traceId": {"span": [1, 2.5, null]}"#
            )
            .replacingOccurrences(of: #""code": 0,"#, with: #""code": 0, "extraCode": "E-1","#)
            .replacingOccurrences(of: #""rate": "1.07326""#, with: #""rate": "1.07326", "source": "ECB""#)
        let original = Array(bytes.utf8)
        let input = original
        let reply = try #require(MTSReply.decode(input).reply)
        #expect(input == original, "decoding must not touch the bytes the relay forwards")
        #expect(
            reply.document["traceId"]
                == .object(
                    JSONObject(members: [
                        .init(
                            key: "span",
                            value: .array([.number(.integer(1)), .number(.literal("2.5")), .null]))
                    ])))
        let content = try #require(reply.document["content"]?.objectValue)
        #expect(content["extraCode"] == .string("E-1"))
        guard case .array(let rates)? = content["exchangeRate"] else {
            Issue.record("exchangeRate is not an array")
            return
        }
        #expect(rates.first?.objectValue?["source"] == .string("ECB"))
    }

    @Test("a cancellation reply without message and cancellationId is valid (optional in seed 002)")
    func cancellationOptionals() throws {
        let text = try Fixture.cancelReply.text
        let withoutId = #""cancellationId": "CANC8787414","#
        let withoutMessage = #","# + "\n" + #"    "message": "Ticket time for cancellation expired""#
        try #require(text.contains(withoutId) && text.contains(withoutMessage))
        let bytes = text.replacingOccurrences(of: withoutId, with: "").replacingOccurrences(
            of: withoutMessage, with: "")
        let reply = try #require(MTSReply.decode(Array(bytes.utf8)).reply)
        guard case .cancel(let content) = reply.content else {
            Issue.record("expected a cancel reply")
            return
        }
        #expect(content.cancellationId == nil)
        #expect(content.message == nil)
    }

    @Test("a ticket reply without message, betDetails and exchangeRate is valid")
    func ticketOptionals() throws {
        let text = try Fixture.ticketInformReply.text
        let message = #""message": "Transaction processed","#
        let rates = #""exchangeRate": ["#
        try #require(text.contains(message) && text.contains(rates))
        // Renamed, the rates become an unknown field: exchangeRate itself is absent.
        let bare = text.replacingOccurrences(of: message, with: "").replacingOccurrences(
            of: rates, with: #""rates": ["#)
        let decoded = MTSReply.decode(Array(bare.utf8))
        #expect(decoded.violations == [])
        guard case .ticket(let content)? = decoded.reply?.content else {
            Issue.record("expected a ticket reply")
            return
        }
        #expect(content.message == nil)
        #expect(content.betDetails == nil)
        #expect(content.exchangeRate == nil)
    }

    @Test("a reply to an operation the catalogue does not detail gets envelope checks only")
    func unknownOperation() throws {
        let json = """
            {"content": {"type": "max-stake-reply", "code": "not checked", "maxStake": {"amount": "10"}},
             "correlationId": "c-1", "timestampUtc": 1700000000000, "operation": "max-stake", "version": "3.0"}
            """
        let reply = try #require(MTSReply.decode(Array(json.utf8)).reply)
        #expect(reply.knownOperation == nil)
        #expect(reply.content == .generic(GenericReply(type: "max-stake-reply", code: nil, message: nil)))
    }

    @Test("the envelope of a reply to an unknown operation is still checked")
    func unknownOperationEnvelope() {
        let json = """
            {"content": {"type": "max-stake-reply"}, "correlationId": "c-1", "timestampUtc": 0,
             "operation": "max-stake", "version": "3.1"}
            """
        let violations = MTSReply.decode(Array(json.utf8)).violations
        #expect(violations.map(\.path) == ["timestampUtc", "version"])
    }

    @Test("unknown codes are accepted and described as unknown")
    func unknownCode() throws {
        let bytes = try Fixture.cancelReply.replacing(#""code": -2013,"#, with: #""code": -2099,"#)
        let reply = try #require(MTSReply.decode(bytes).reply)
        #expect(reply.codeDescription == CodeDescription(code: -2099, text: "unknown code", isKnown: false))
        #expect(reply.codeDescription?.description == "-2099 unknown code")
    }

    @Test("error-reply answers any operation, catalogued or not")
    func errorReplyAnyOperation() throws {
        for operation in ["ticket-cancel", "casino-sessions-inform", "cashout-inform"] {
            let bytes = try Fixture.errorReply.replacing(
                #""operation": "ticket-placement""#, with: #""operation": "\#(operation)""#)
            #expect(MTSReply.decode(bytes).violations == [], "\(operation)")
        }
    }

    @Test("catalogued replies without detail need a code and keep everything else")
    func cataloguedGenericReplies() {
        let valid = """
            {"content": {"type": "cashout-reply", "code": 0, "cashoutId": "C-9", "status": "accepted"},
             "correlationId": "c-2", "timestampUtc": 1700000000000, "operation": "ticket-cashout", "version": "3.0"}
            """
        #expect(
            MTSReply.decode(Array(valid.utf8)).reply?.content
                == .generic(GenericReply(type: "cashout-reply", code: 0, message: nil)))
        let missingCode = valid.replacingOccurrences(of: #""code": 0, "#, with: "")
        #expect(
            MTSReply.decode(Array(missingCode.utf8)).violations == [
                Violation(path: "content.code", reason: "missing")
            ])
    }

    @Test("an invalid reply still yields what the daemon needs to route it")
    func summaryOfInvalidReply() throws {
        let decoded = MTSReply.decode(
            try Fixture.cancelReply.replacing(#""version": "3.0""#, with: #""version": "9""#))
        #expect(decoded.reply == nil)
        #expect(decoded.summary.correlationId == "ew24faU66psM")
        #expect(decoded.summary.operation == "ticket-cancel")
        #expect(decoded.summary.contentType == "cancel-reply")
        #expect(decoded.summary.timestampUtc == 1_678_265_557_000)
        #expect(decoded.summary.status == .rejected)
        #expect(decoded.summary.code == -2013)
        #expect(decoded.summary.codeDescription?.text == "Ticket time for cancellation expired")
        #expect(decoded.summary.ticketId == "Ticket_3690")
    }
}
