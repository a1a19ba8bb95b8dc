import Testing

@testable import MTSProtocol

/// The consumers' one classifier: decisions by type, never by words.
@Suite struct MessageClassifierTests {
    let classifier = MessageClassifier(maxMessageBytes: 1 << 20, limitKey: "replies.maxMessageBytes")

    @Test func aValidReplyBecomesItsEnvelope() throws {
        let classified = classifier.reply(try Fixture.cancelReply.bytes, correlationProperty: nil)
        guard case .valid(let envelope) = classified else {
            Issue.record("expected valid, got \(classified)")
            return
        }
        #expect(envelope.correlationId == "ew24faU66psM")
        #expect(envelope.operation == "ticket-cancel")
        #expect(envelope.contentType == "cancel-reply")
        #expect(envelope.timestampUtc == 1_678_265_557_000)
        #expect(envelope.ticketId == "Ticket_3690")
        #expect(classified.validTimestamp == 1_678_265_557_000)
    }

    @Test func aValidRequestBecomesItsEnvelope() throws {
        let classified = classifier.request(
            try Fixture.ticketRequest.bytes, correlationProperty: "9f1c2e7a-ticket-20931")
        guard case .valid(let envelope) = classified else {
            Issue.record("expected valid, got \(classified)")
            return
        }
        #expect(envelope.correlationId == "9f1c2e7a-ticket-20931")
        #expect(envelope.ticketId == "Ticket_20931")
    }

    @Test func aBodyOverTheLimitIsRejectedUnparsedNamingTheKey() throws {
        let small = MessageClassifier(maxMessageBytes: 10, limitKey: "intake.maxMessageBytes")
        let classified = small.request(try Fixture.ticketRequest.bytes, correlationProperty: "p-1")
        guard case .rejected(let rejection) = classified else {
            Issue.record("expected rejected, got \(classified)")
            return
        }
        guard case .tooLarge(let bytes, 10, "intake.maxMessageBytes") = rejection.reason else {
            Issue.record("expected tooLarge, got \(rejection.reason)")
            return
        }
        #expect(bytes > 10)
        #expect(rejection.summary == nil)
        #expect(rejection.correlationId == "p-1")
        #expect(!rejection.isJSONObject)
        #expect(rejection.description.contains("intake.maxMessageBytes"))
        #expect(classified.validTimestamp == nil)
    }

    @Test func aBodyWithoutCorrelationIdTakesTheProperty() throws {
        let body = try Fixture.cancelReply.replacing(#""correlationId": "ew24faU66psM","#, with: "")
        let classified = classifier.reply(body, correlationProperty: "from-property")
        guard case .valid(let envelope) = classified else {
            Issue.record("expected valid, got \(classified)")
            return
        }
        #expect(envelope.correlationId == "from-property")
    }

    @Test func aBodyWithoutCorrelationIdOrPropertyIsMissingIt() throws {
        let body = try Fixture.cancelReply.replacing(#""correlationId": "ew24faU66psM","#, with: "")
        let classified = classifier.reply(body, correlationProperty: nil)
        guard case .rejected(let rejection) = classified, case .violations(let violations) = rejection.reason
        else {
            Issue.record("expected violations, got \(classified)")
            return
        }
        #expect(violations.contains { $0.path == "correlationId" && $0.kind == .missing })
        #expect(rejection.correlationId == nil)
        #expect(rejection.isJSONObject)
    }

    @Test func aPropertyThatDisagreesWithTheBodyIsAViolation() throws {
        let classified = classifier.reply(try Fixture.cancelReply.bytes, correlationProperty: "other")
        guard case .rejected(let rejection) = classified, case .violations(let violations) = rejection.reason
        else {
            Issue.record("expected violations, got \(classified)")
            return
        }
        #expect(violations.map(\.path) == ["correlationId"])
        // The body's id names the request the invalid record is attached to.
        #expect(rejection.correlationId == "ew24faU66psM")
    }

    @Test func notJSONIsNotAnObject() {
        let classified = classifier.reply(Array("{nope".utf8), correlationProperty: "c-1")
        guard case .rejected(let rejection) = classified else {
            Issue.record("expected rejected, got \(classified)")
            return
        }
        #expect(!rejection.isJSONObject)
        #expect(rejection.correlationId == "c-1")
    }
}
