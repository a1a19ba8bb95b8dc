import Testing

@testable import MTSProtocol

@Suite("Catalogue and code tables")
struct CatalogueAndCodeTests {
    @Test("X is answered by X-reply or error-reply, and by nothing else")
    func replyAnswersRequest() {
        #expect(MTSContentType.reply("ticket-reply", answers: "ticket"))
        #expect(MTSContentType.reply("cancel-reply", answers: "cancel"))
        #expect(MTSContentType.reply("error-reply", answers: "cancel"))
        #expect(MTSContentType.reply("max-stake-reply", answers: "max-stake"))
        #expect(!MTSContentType.reply("ticket-reply", answers: "cancel"))
        #expect(!MTSContentType.reply("ticket-inform-reply", answers: "ticket"))
        #expect(!MTSContentType.reply("ticket", answers: "ticket"))
        #expect(!MTSContentType.reply("ticket-replyX", answers: "ticket"))
        #expect(!MTSContentType.reply("-reply", answers: ""))
    }

    @Test(
        "every catalogued operation's reply type answers its request type", arguments: MTSOperation.allCases)
    func catalogue(_ operation: MTSOperation) {
        #expect(MTSContentType.reply(operation.replyContentType, answers: operation.requestContentType))
        #expect(MTSContentType.isReply(operation.replyContentType))
        #expect(!MTSContentType.isReply(operation.requestContentType))
    }

    @Test("the catalogue's request and reply types")
    func catalogueTypes() {
        #expect(MTSOperation.ticketPlacementInform.replyContentType == "ticket-inform-reply")
        #expect(MTSOperation.ticketCancel.replyContentType == "cancel-reply")
        #expect(MTSOperation.casinoSessionsInform.replyContentType == "casino-sessions-inform-reply")
        #expect(MTSOperation.ticketExtSettlementAck.requestContentType == "ext-settlement-ack")
    }

    @Test("the cancellation codes are exactly those of seed 002")
    func cancellationTable() {
        #expect(
            MTSCodes.cancellation.keys.sorted() == [
                -2024, -2023, -2022, -2021, -2020, -2019, -2018, -2017, -2016, -2015, -2013, -2012, -2011,
                -2010, -999, 0,
            ])
        #expect(MTSCodes.describe(-2010, contentType: "cancel-reply").text == "Ticket not found")
        #expect(MTSCodes.describe(-999, contentType: "cancel-reply").text == "Generic exception code")
        #expect(MTSCodes.describe(-2014, contentType: "cancel-reply").isKnown == false)
        // A ticket validation code means nothing in a cancellation reply.
        #expect(MTSCodes.describe(-101, contentType: "cancel-reply").isKnown == false)
    }

    @Test("the validation codes and ranges of the reference")
    func validationTable() {
        #expect((-107 ... -100).allSatisfy { MTSCodes.describe($0, contentType: "ticket-reply").isKnown })
        #expect(
            MTSCodes.describe(-107, contentType: "ticket-inform-reply").text
                == "Ticket validation: value out of range")
        #expect(MTSCodes.describe(-401, contentType: "ticket-reply").text.contains("not found or inactive"))
        #expect(MTSCodes.describe(-421, contentType: "ticket-reply").text.contains("Odds"))
        #expect(MTSCodes.describe(-701, contentType: "ticket-reply").text.contains("Liability"))
        #expect(MTSCodes.describe(-2013, contentType: "ticket-reply").isKnown == false)
        #expect(MTSCodes.describe(-108, contentType: "ticket-reply").isKnown == false)
        #expect(MTSCodes.describe(-2013, contentType: "error-reply").isKnown)
    }
}
