import Testing

@testable import MTSProtocol

@Suite("Jackpot ticket API")
struct JackpotTests {
    @Test("the request example decodes, money in cents")
    func requestDecodes() throws {
        let request = try #require(JackpotTicketRequest.decode(try Fixture.jackpotRequest.bytes).value)
        #expect(request.operatorName == "demo-operator")
        #expect(request.price == 3500)
        #expect(request.currency == "KES")
        #expect(request.atag == nil)
        #expect(request.source == .mobile)
        #expect(request.oddsDifference == 0.05)
        #expect(
            request.events == [
                JackpotEvent(id: 51234, bet: 1, odds: 2.15), JackpotEvent(id: 51235, bet: 2, odds: 3.4),
                JackpotEvent(id: 51236, bet: 3, odds: 1.9),
            ])
        #expect(request.bonusPrizes == [500_000, 100_000])
    }

    @Test(
        "jackpot request rules",
        arguments: [
            (
                #""price": 3500"#, #""price": 35.00"#, "price",
                "expected an integer, found a number with a fraction or exponent"
            ),
            (#""price": 3500"#, #""price": -1"#, "price", "-1 is outside 0...9223372036854775807"),
            (
                #""source": "mobile""#, #""source": "web""#, "source",
                #""web" is not one of desktop, mobile, android, iphone, ussd, sms, telegram"#
            ),
            (#""type": "jackpot""#, #""type": "single""#, "type", #"expected "jackpot", found "single""#),
            (
                #""currency": "KES""#, #""currency": "mBTC""#, "currency",
                #""mBTC" is not an ISO 4217 code (3 capital letters)"#
            ),
            (
                #""odds": 2.15"#, #""odds": 2.155"#, "events[0].odds",
                "2.155 has more than 2 digits after the point"
            ),
            (#""odds": 2.15"#, #""odds": "2.15""#, "events[0].odds", "expected a number, found a string"),
            (#""id": 51235"#, #""id": "51235""#, "events[1].id", "expected an integer, found a string"),
            (#""atag": null"#, #""atag": 5"#, "atag", "expected a string, found an integer"),
            (#""token": "3f8a9c1e-player-token","#, "", "token", "missing"),
            (#""odds_diff": 0.05"#, #""odds_diff": -0.5"#, "odds_diff", "-0.5 is below 0"),
            (
                #""bonus_prizes": [500000, 100000]"#, #""bonus_prizes": [500000, 1.5]"#, "bonus_prizes[1]",
                "expected an integer, found a number with a fraction or exponent"
            ),
        ])
    func requestRules(_ old: String, _ new: String, _ path: String, _ reason: String) throws {
        let decoded = JackpotTicketRequest.decode(try Fixture.jackpotRequest.replacing(old, with: new))
        #expect(decoded.value == nil)
        #expect(decoded.violations.contains(Violation(path: path, reason: reason)), "\(decoded.violations)")
    }

    @Test("the ticket example decodes with its enumerations")
    func ticketDecodes() throws {
        let ticket = try #require(JackpotTicket.decode(try Fixture.jackpotTicket.bytes).value)
        #expect(ticket.status == .open)
        #expect(ticket.result == .pending)
        #expect(ticket.approved)
        #expect(ticket.stake == 3045)
        #expect(ticket.exciseTaxAmount == 455)
        #expect(ticket.exciseTax == 12.5)
        #expect(ticket.created == "2024-01-28T14:33:01.000000")
    }

    @Test(
        "jackpot ticket rules",
        arguments: [
            (
                #""status": "open""#, #""status": "opened""#, "status",
                #""opened" is not one of new, cancelled, reserved, open, calculating, resulted, closed"#
            ),
            (
                #""result": "pending""#, #""result": "draw""#, "result",
                #""draw" is not one of pending, won, lost, void"#
            ),
            (#""approved": true"#, #""approved": "true""#, "approved", "expected a boolean, found a string"),
            (
                #""created": "2024-01-28T14:33:01.000000""#, #""created": "2024-01-28T14:33:01Z""#, "created",
                #""2024-01-28T14:33:01Z" is not a date-time YYYY-MM-DDTHH:MM:SS.ffffff"#
            ),
            (
                #""updated": "2024-01-28T14:33:01.000000""#, #""updated": "2024-13-28T14:33:01.000000""#,
                "updated", #""2024-13-28T14:33:01.000000" is not a date-time YYYY-MM-DDTHH:MM:SS.ffffff"#
            ),
            (#""net_payout": 0"#, #""net_payout": "0""#, "net_payout", "expected an integer, found a string"),
            (#""wht": 20.0"#, #""wht": "20""#, "wht", "expected a number, found a string"),
            (#""user_id": "pam-774411","#, "", "user_id", "missing"),
        ])
    func ticketRules(_ old: String, _ new: String, _ path: String, _ reason: String) throws {
        let decoded = JackpotTicket.decode(try Fixture.jackpotTicket.replacing(old, with: new))
        #expect(decoded.value == nil)
        #expect(decoded.violations.contains(Violation(path: path, reason: reason)), "\(decoded.violations)")
    }

    @Test("the 200/400/403/422 outcomes")
    func outcomes() throws {
        let created = JackpotTicketOutcome.decode(httpStatus: 200, body: try Fixture.jackpotTicket.bytes)
        guard case .created(let ticket)? = created.value else {
            Issue.record("expected a created ticket: \(created.violations)")
            return
        }
        #expect(ticket.code == "JP8K2M4Q")
        let error = Array(#"{"error": {"code": 1012, "message": "Ticket odds changed"}}"#.utf8)
        #expect(JackpotTicketOutcome.decode(httpStatus: 400, body: error).value?.httpStatus == 400)
        #expect(JackpotTicketOutcome.decode(httpStatus: 422, body: error).value?.httpStatus == 422)
        #expect(
            JackpotTicketOutcome.decode(httpStatus: 403, body: Array("Forbidden".utf8)).value
                == .forbidden(body: nil))
        #expect(
            JackpotTicketOutcome.decode(httpStatus: 400, body: Array("<html>".utf8)).violations.map(\.path)
                == ["$"])
        #expect(
            JackpotTicketOutcome.decode(httpStatus: 500, body: []).violations == [
                Violation(path: "$", reason: "HTTP status 500 is not one of 200, 400, 403, 422")
            ])
        #expect(JackpotTicketOutcome.decode(httpStatus: 200, body: error).value == nil)
    }
}
