import Testing

@testable import MTSProtocol

/// One seed example broken in one place, and the violation it must produce.
struct BrokenVariant: Sendable, CustomTestStringConvertible {
    var fixture: Fixture
    var old: String
    var new: String
    var path: String
    var reason: String

    var testDescription: String { "\(fixture.rawValue): \(old) → \(new)" }
}

@Suite("Strict where the seeds are strict")
struct StrictRuleTests {
    static let tooLong = String(repeating: "x", count: 129)
    static let maxLength = String(repeating: "x", count: 128)

    static let variants: [BrokenVariant] = [
        // Mandatory fields present.
        .init(
            fixture: .ticketInformReply,
            old: #""signature": "gOxOcWAjiPn8hEjyPlzDYu0B7aNA85fOeAB8m1j+Wm0=","#,
            new: "", path: "content.signature", reason: "missing"),
        .init(
            fixture: .ticketInformReply, old: #""correlationId": "62ka01mxre","#, new: "",
            path: "correlationId",
            reason: "missing"),
        .init(
            fixture: .casinoSessionsInformReply,
            old: #","# + "\n" + #"    "message": "Transaction processed""#,
            new: "", path: "content.message", reason: "missing"),
        .init(
            fixture: .cancelReply, old: #""ticketId": "Ticket_3690","#, new: "", path: "content.ticketId",
            reason: "missing"),
        .init(
            fixture: .ticketInformReply, old: #""rate": "1.07326""#, new: #""rated": "1.07326""#,
            path: "content.exchangeRate[0].rate", reason: "missing"),
        // JSON types exact.
        .init(
            fixture: .ticketInformReply, old: #""code": 0,"#, new: #""code": "0","#, path: "content.code",
            reason: "expected an integer, found a string"),
        .init(
            fixture: .ticketInformReply, old: #""code": 0,"#, new: #""code": 1.0,"#, path: "content.code",
            reason: "expected an integer, found a number with a fraction or exponent"),
        .init(
            fixture: .cancelReply, old: #""code": -2013,"#, new: #""code": -2e3,"#, path: "content.code",
            reason: "expected an integer, found a number with a fraction or exponent"),
        .init(
            fixture: .ticketInformReply, old: "1689752904000,", new: #""1689752904000","#,
            path: "timestampUtc",
            reason: "expected an integer, found a string"),
        .init(
            fixture: .ticketInformReply, old: #""correlationId": "62ka01mxre""#, new: #""correlationId": 62"#,
            path: "correlationId", reason: "expected a string, found an integer"),
        .init(
            fixture: .ticketInformReply, old: #""message": "Transaction processed""#,
            new: #""message": null"#,
            path: "content.message", reason: "expected a string, found null"),
        .init(
            fixture: .ticketInformReply, old: #""rate": "1.07326""#, new: #""rate": 1.07326"#,
            path: "content.exchangeRate[0].rate",
            reason: "expected a string, found a number with a fraction or exponent"),
        .init(
            fixture: .ticketReplyBetDetails, old: "\"code\": 0\n", new: "\"code\": \"0\"\n",
            path: "content.betDetails[1].selectionDetails[0].code",
            reason: "expected an integer, found a string"),
        .init(
            fixture: .ticketInformReply, old: #""exchangeRate": ["#,
            new: #""exchangeRate": "none", "rates": ["#,
            path: "content.exchangeRate", reason: "expected an array, found a string"),
        // String lengths 1-128 where a seed states them.
        .init(
            fixture: .ticketInformReply, old: #""message": "Transaction processed""#, new: #""message": """#,
            path: "content.message", reason: "length 0 is outside 1...128"),
        .init(
            fixture: .ticketInformReply, old: #""ticketId": "Ticket_10150""#,
            new: #""ticketId": "\#(tooLong)""#,
            path: "content.ticketId", reason: "length 129 is outside 1...128"),
        .init(
            fixture: .cancelReply, old: #""cancellationId": "CANC8787414""#, new: #""cancellationId": """#,
            path: "content.cancellationId", reason: "length 0 is outside 1...128"),
        .init(
            fixture: .cancelReply, old: #""message": "Ticket time for cancellation expired""#,
            new: #""message": "\#(tooLong)""#, path: "content.message",
            reason: "length 129 is outside 1...128"),
        .init(
            fixture: .casinoSessionsInformReply, old: #""message": "Transaction processed""#,
            new: #""message": """#, path: "content.message", reason: "length 0 is outside 1...128"),
        .init(
            fixture: .ticketReplyBetDetails, old: #""betId": "Bet_1""#, new: #""betId": """#,
            path: "content.betDetails[0].betId", reason: "length 0 is outside 1...128"),
        // timestampUtc in 1...Int64.max.
        .init(
            fixture: .ticketInformReply, old: "1689752904000,", new: "0,", path: "timestampUtc",
            reason: "0 is outside 1...9223372036854775807"),
        .init(
            fixture: .ticketInformReply, old: "1689752904000,", new: "-1689752904000,", path: "timestampUtc",
            reason: "-1689752904000 is outside 1...9223372036854775807"),
        .init(
            fixture: .ticketInformReply, old: "1689752904000,", new: "9223372036854775808,",
            path: "timestampUtc",
            reason: "9223372036854775808 is outside 1...9223372036854775807"),
        .init(
            fixture: .ticketInformReply, old: "1689752904000,", new: "9223372036854776000,",
            path: "timestampUtc",
            reason: "9223372036854776000 is outside 1...9223372036854775807"),
        // Enumerations.
        .init(
            fixture: .ticketInformReply, old: #""status": "accepted""#, new: #""status": "Accepted""#,
            path: "content.status", reason: #""Accepted" is not one of accepted, rejected"#),
        .init(
            fixture: .cancelReply, old: #""status": "rejected""#, new: #""status": "pending""#,
            path: "content.status", reason: #""pending" is not one of accepted, rejected"#),
        .init(
            fixture: .ticketReplyBetDetails, old: #""type": "alt-stake""#, new: #""type": "alt_stake""#,
            path: "content.betDetails[0].suggestion.type",
            reason: #""alt_stake" is not one of alt-stake, reoffer"#),
        .init(
            fixture: .ticketReplyBetDetails, old: #""mode": "total","#, new: #""mode": "each","#,
            path: "content.betDetails[1].suggestion.mode", reason: #""each" is not one of unit, total"#),
        // Currency codes: 3 letters, or exactly mBTC.
        .init(
            fixture: .ticketInformReply, old: #""fromCurrency": "USD""#, new: #""fromCurrency": "usd""#,
            path: "content.exchangeRate[0].fromCurrency",
            reason: #""usd" is not a currency code (3 capital letters, or mBTC)"#),
        .init(
            fixture: .ticketInformReply, old: #""toCurrency": "EUR""#, new: #""toCurrency": "EURO""#,
            path: "content.exchangeRate[0].toCurrency",
            reason: #""EURO" is not a currency code (3 capital letters, or mBTC)"#),
        .init(
            fixture: .ticketReplyBetDetails, old: #""fromCurrency": "mBTC""#, new: #""fromCurrency": "MBTC""#,
            path: "content.exchangeRate[0].fromCurrency",
            reason: #""MBTC" is not a currency code (3 capital letters, or mBTC)"#),
        .init(
            fixture: .ticketReplyBetDetails, old: #""fromCurrency": "EUR""#, new: #""fromCurrency": "E1R""#,
            path: "content.exchangeRate[1].fromCurrency",
            reason: #""E1R" is not a currency code (3 capital letters, or mBTC)"#),
        // Exchange rate pattern.
        .init(
            fixture: .ticketInformReply, old: #""rate": "1.07326""#, new: #""rate": "1.2.3""#,
            path: "content.exchangeRate[0].rate", reason: #""1.2.3" does not match ^\d{1,8}(\.\d{1,8})?$"#),
        .init(
            fixture: .ticketInformReply, old: #""rate": "1.07326""#, new: #""rate": "123456789""#,
            path: "content.exchangeRate[0].rate", reason: #""123456789" does not match ^\d{1,8}(\.\d{1,8})?$"#
        ),
        .init(
            fixture: .ticketInformReply, old: #""rate": "1.07326""#, new: #""rate": "1.123456789""#,
            path: "content.exchangeRate[0].rate",
            reason: #""1.123456789" does not match ^\d{1,8}(\.\d{1,8})?$"#),
        .init(
            fixture: .ticketInformReply, old: #""rate": "1.07326""#, new: #""rate": "1.""#,
            path: "content.exchangeRate[0].rate", reason: #""1." does not match ^\d{1,8}(\.\d{1,8})?$"#),
        .init(
            fixture: .ticketInformReply, old: #""rate": "1.07326""#, new: #""rate": ".5""#,
            path: "content.exchangeRate[0].rate", reason: #"".5" does not match ^\d{1,8}(\.\d{1,8})?$"#),
        .init(
            fixture: .ticketInformReply, old: #""rate": "1.07326""#, new: #""rate": "\u0661""#,
            path: "content.exchangeRate[0].rate", reason: #""١" does not match ^\d{1,8}(\.\d{1,8})?$"#),
        // version is "3.0".
        .init(
            fixture: .ticketInformReply, old: #""version": "3.0""#, new: #""version": "2.0""#,
            path: "version",
            reason: #"expected "3.0", found "2.0""#),
        .init(
            fixture: .cancelReply, old: #""version": "3.0""#, new: #""version": 3.0"#, path: "version",
            reason: "expected a string, found a number with a fraction or exponent"),
        // A reply's content type fits its operation.
        .init(
            fixture: .ticketInformReply, old: #""type": "ticket-inform-reply""#,
            new: #""type": "ticket-reply""#,
            path: "content.type",
            reason:
                #""ticket-reply" does not answer operation "ticket-placement-inform" (expected ticket-inform-reply or error-reply)"#
        ),
        .init(
            fixture: .cancelReply, old: #""operation": "ticket-cancel""#,
            new: #""operation": "ticket-cashout""#,
            path: "content.type",
            reason:
                #""cancel-reply" does not answer operation "ticket-cashout" (expected cashout-reply or error-reply)"#
        ),
        // Duplicate keys and the document itself.
        .init(
            fixture: .ticketInformReply, old: #""code": 0,"#, new: #""code": 0, "code": 1,"#,
            path: "content.code",
            reason: "duplicate key"),
        .init(
            fixture: .ticketInformReply, old: #""content": {"#, new: #""content": ["#, path: "$",
            reason: "not valid JSON at byte 27: expected ',' or ']' in an array"),
    ]

    @Test("a broken seed example is rejected with the field's path and reason", arguments: variants)
    func brokenVariantIsRejected(_ variant: BrokenVariant) throws {
        let decoded = MTSReply.decode(try variant.fixture.replacing(variant.old, with: variant.new))
        #expect(decoded.reply == nil)
        #expect(
            decoded.violations.contains(Violation(path: variant.path, reason: variant.reason)),
            "\(decoded.violations)")
    }

    @Test("strings of exactly 128 characters are accepted")
    func maximumLengthAccepted() throws {
        let bytes = try Fixture.ticketInformReply.replacing(
            #""ticketId": "Ticket_10150""#, with: #""ticketId": "\#(Self.maxLength)""#)
        #expect(MTSReply.decode(bytes).violations == [])
    }

    @Test("timestampUtc of exactly Int64.max is accepted")
    func maximumTimestampAccepted() throws {
        let bytes = try Fixture.ticketInformReply.replacing("1689752904000,", with: "9223372036854775807,")
        #expect(MTSReply.decode(bytes).reply?.timestampUtc == Int64.max)
    }

    @Test("every violation of a message is reported, not just the first")
    func allViolationsReported() throws {
        let text = try Fixture.ticketInformReply.text
            .replacingOccurrences(of: #""status": "accepted""#, with: #""status": "maybe""#)
            .replacingOccurrences(of: #""rate": "1.07326""#, with: #""rate": "x""#)
            .replacingOccurrences(of: #""version": "3.0""#, with: #""version": "3""#)
            .replacingOccurrences(of: "1689752904000,", with: "0,")
        let decoded = MTSReply.decode(Array(text.utf8))
        #expect(
            decoded.violations.map(\.path).sorted() == [
                "content.exchangeRate[0].rate", "content.status", "timestampUtc", "version",
            ])
    }

    @Test("a message that is not an object is one violation at $")
    func topLevelNotObject() {
        #expect(
            MTSReply.decode(Array("[1,2]".utf8)).violations == [
                Violation(path: "$", reason: "expected an object, found an array")
            ])
        #expect(
            MTSReply.decode([]).violations == [
                Violation(
                    path: "$", reason: "not valid JSON at byte 0: unexpected end of input, expected a value")
            ])
    }

    @Test("a violation prints as path: reason")
    func violationDescription() {
        let violation = Violation(
            path: "content.exchangeRate[0].rate", reason: #"does not match ^\d{1,8}(\.\d{1,8})?$"#)
        #expect(
            violation.description == #"content.exchangeRate[0].rate: does not match ^\d{1,8}(\.\d{1,8})?$"#)
    }

    @Test("content of the wrong type, and a content without type")
    func contentShape() throws {
        let notObject = try Fixture.casinoSessionsInformReply.text
        let start = try #require(notObject.range(of: #""content": {"#))
        let end = try #require(notObject.range(of: "},\n  \"correlationId\""))
        let broken = notObject.replacingCharacters(
            in: start.lowerBound..<end.upperBound, with: #""content": 7, "correlationId""#)
        #expect(
            MTSReply.decode(Array(broken.utf8)).violations == [
                Violation(path: "content", reason: "expected an object, found an integer")
            ])
        let untyped = try Fixture.casinoSessionsInformReply.replacing(
            #""type": "casino-sessions-inform-reply","#, with: "")
        #expect(MTSReply.decode(untyped).violations == [Violation(path: "content.type", reason: "missing")])
    }
}
