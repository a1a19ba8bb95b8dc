import Testing

@testable import MTSProtocol

@Suite("Seed examples decode")
struct SeedExampleTests {
    @Test("every reply fixture decodes with no violation", arguments: Fixture.replies)
    func replyFixtureIsValid(_ fixture: Fixture) throws {
        let decoded = MTSReply.decode(try fixture.bytes)
        #expect(decoded.violations == [])
        #expect(decoded.reply != nil)
    }

    @Test("casino sessions reply (seed 000)")
    func casinoSessions() throws {
        let reply = try #require(MTSReply.decode(try Fixture.casinoSessionsInformReply.bytes).reply)
        #expect(reply.correlationId == "kL20vAyh")
        #expect(reply.timestampUtc == 1_703_852_996_000)
        #expect(reply.operation == "casino-sessions-inform")
        #expect(reply.knownOperation == .casinoSessionsInform)
        #expect(reply.version == "3.0")
        #expect(
            reply.content
                == .casinoSessionsInform(
                    CasinoSessionsInformReply(
                        type: "casino-sessions-inform-reply", code: 0, message: "Transaction processed")))
        #expect(
            reply.codeDescription == CodeDescription(code: 0, text: "Transaction processed", isKnown: true))
    }

    @Test("pre-validated ticket placement reply (seeds 001 and 004)")
    func ticketInform() throws {
        let reply = try #require(MTSReply.decode(try Fixture.ticketInformReply.bytes).reply)
        #expect(reply.correlationId == "62ka01mxre")
        #expect(reply.timestampUtc == 1_689_752_904_000)
        #expect(reply.operation == "ticket-placement-inform")
        guard case .ticket(let content) = reply.content else {
            Issue.record("expected a ticket reply, got \(reply.content)")
            return
        }
        #expect(content.type == "ticket-inform-reply")
        #expect(content.signature == "gOxOcWAjiPn8hEjyPlzDYu0B7aNA85fOeAB8m1j+Wm0=")
        #expect(content.status == .accepted)
        #expect(content.ticketId == "Ticket_10150")
        #expect(content.code == 0)
        #expect(content.message == "Transaction processed")
        #expect(content.betDetails == nil)
        #expect(
            content.exchangeRate == [ExchangeRate(fromCurrency: "USD", toCurrency: "EUR", rate: "1.07326")])
    }

    @Test("cancellation reply (seed 002)")
    func cancellation() throws {
        let decoded = MTSReply.decode(try Fixture.cancelReply.bytes)
        let reply = try #require(decoded.reply)
        #expect(
            reply.content
                == .cancel(
                    CancelReply(
                        type: "cancel-reply", cancellationId: "CANC8787414",
                        signature: "ouHgh3Yn+1p9C0Ms3brurfLBlLTcweMdP0vM2HI+Lx8=", status: .rejected,
                        ticketId: "Ticket_3690", code: -2013, message: "Ticket time for cancellation expired")
                ))
        #expect(reply.codeDescription?.text == "Ticket time for cancellation expired")
        #expect(decoded.summary.codeDescription?.isKnown == true)
        #expect(decoded.summary.status == .rejected)
        #expect(decoded.summary.ticketId == "Ticket_3690")
    }

    @Test("ticket reply with betDetails: selection details, alt-stake and reoffer, mBTC")
    func betDetails() throws {
        let reply = try #require(MTSReply.decode(try Fixture.ticketReplyBetDetails.bytes).reply)
        guard case .ticket(let content) = reply.content else {
            Issue.record("expected a ticket reply, got \(reply.content)")
            return
        }
        let bets = try #require(content.betDetails)
        #expect(bets.map(\.betId) == ["Bet_1", "Bet_2"])
        #expect(bets[0].selectionDetails?.first?.selection["eventId"] == .string("sr:match:43425419"))
        #expect(bets[0].selectionDetails?.first?.autoAcceptedOdds != nil)
        guard case .alternativeStake(let stake) = bets[0].suggestion else {
            Issue.record("expected alt-stake, got \(String(describing: bets[0].suggestion))")
            return
        }
        #expect(stake["amount"] == .string("5.50"))
        guard case .reoffer(let mode, let stakes) = bets[1].suggestion else {
            Issue.record("expected reoffer, got \(String(describing: bets[1].suggestion))")
            return
        }
        #expect(mode == .total)
        #expect(stakes.count == 1)
        #expect(content.exchangeRate?.first?.fromCurrency == "mBTC")
        #expect(reply.codeDescription?.text.contains("liability") == true)
    }

    @Test("error reply")
    func errorReply() throws {
        let reply = try #require(MTSReply.decode(try Fixture.errorReply.bytes).reply)
        #expect(
            reply.content
                == .error(
                    ErrorReply(
                        type: "error-reply", code: -101, message: "Missing field: content.bets[0].stake")))
        #expect(reply.codeDescription?.text == "Ticket validation: missing field")
    }

    @Test("the summary of a valid reply agrees with the reply")
    func summaryAgrees() throws {
        for fixture in Fixture.replies {
            let decoded = MTSReply.decode(try fixture.bytes)
            let reply = try #require(decoded.reply)
            #expect(decoded.summary.correlationId == reply.correlationId)
            #expect(decoded.summary.operation == reply.operation)
            #expect(decoded.summary.contentType == reply.contentType)
            #expect(decoded.summary.timestampUtc == reply.timestampUtc)
            #expect(decoded.summary.code == reply.content.code)
            #expect(decoded.summary.status == reply.content.status)
            #expect(decoded.summary.ticketId == reply.content.ticketId)
        }
    }
}
