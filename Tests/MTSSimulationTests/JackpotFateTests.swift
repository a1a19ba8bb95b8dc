import MTSProtocol
import Testing

@testable import MTSSimulation

@Suite struct JackpotFateTests {
    @Test func theMixFollowsTheWeightsAndEveryFateOccurs() {
        let fates = (0..<200).map(JackpotFate.fate(of:))
        for (fate, weight) in JackpotFate.weights {
            #expect(fates.filter { $0 == fate }.count == 2 * weight, "\(fate)")
        }
    }

    @Test func theTokenNamesTheFate() {
        #expect(JackpotFate(token: "busy-demo-1-7") == .busy)
        #expect(JackpotFate(token: "nonsense") == nil)
    }

    @Test func requestsAndTicketsAreValidExceptTheInvalidFate() {
        for fate in JackpotFate.allCases {
            let request = JackpotTicketRequest.decode(
                Array(JackpotMessages.request(token: "t", fate: fate).utf8))
            #expect(request.isValid == (fate != .invalid), "\(fate): \(request.violations)")
        }
        #expect(JackpotTicket.decode(Array(JackpotMessages.ticket(id: "T-1").utf8)).isValid)
    }

    @Test func busyAndUnavailableAskOnceToComeBack() {
        #expect(JackpotFate.busy.answer(attempt: 1, ticketId: "T").status == 429)
        #expect(JackpotFate.busy.answer(attempt: 2, ticketId: "T").status == 200)
        #expect(JackpotFate.unavailable.answer(attempt: 1, ticketId: "T").status == 503)
        #expect(JackpotFate.slow.answer(attempt: 1, ticketId: "T").afterTimeout)
    }
}
