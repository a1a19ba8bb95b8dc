import AMQPClient
import MTSProtocol
import Testing

@testable import MTSRelayDaemon

/// A message that keeps coming back without a decision is given up after
/// `deadLetter.maxAttempts` deliveries, counted in memory per correlation id.
@Suite struct AttemptCounterTests {
    @Test func theDeliveryPastTheLimitIsGivenUp() {
        var counter = AttemptCounter(limit: 3)
        #expect(counter.recordDelivery(key: "a", redelivered: false) == nil)
        #expect(counter.recordDelivery(key: "a", redelivered: true) == nil)
        #expect(counter.recordDelivery(key: "a", redelivered: true) == nil)
        #expect(counter.recordDelivery(key: "a", redelivered: true) == 3)
        // Given up: forgotten, so the count starts again should it ever come back.
        #expect(counter.count == 0)
    }

    @Test func aRedeliveryUnseenByThisProcessCountsTheEarlierDelivery() {
        var counter = AttemptCounter(limit: 2)
        #expect(counter.recordDelivery(key: "b", redelivered: true) == nil)
        #expect(counter.recordDelivery(key: "b", redelivered: true) == 2)
    }

    @Test func aFirstDeliveryStartsAgainAndOtherIdsDoNotCount() {
        var counter = AttemptCounter(limit: 2)
        #expect(counter.recordDelivery(key: "c", redelivered: true) == nil)
        #expect(counter.recordDelivery(key: "d", redelivered: true) == nil)
        #expect(counter.recordDelivery(key: "c", redelivered: false) == nil)
        #expect(counter.recordDelivery(key: "c", redelivered: true) == nil)
        #expect(counter.count == 2)
    }

    @Test func theKeyAndItsDefaultAreConfigured() throws {
        #expect(RelayConfiguration().deadLetter.maxAttempts == 10)
        let configuration = try ConfigurationTestSupport.load("deadLetter:\n  maxAttempts: 3\n")
        #expect(configuration.deadLetter.maxAttempts == 3)
        for bad in ["1", "1001", "\"5\""] {
            let problem = ConfigurationTestSupport.onlyProblem("deadLetter:\n  maxAttempts: \(bad)\n")
            #expect(problem?.keyPath == "deadLetter.maxAttempts", "\(bad): \(String(describing: problem))")
        }
    }

    @Test func aValidMessageComingBackIsGivenUpWithItsSummary() throws {
        let attempts = DeliveryAttempts(limit: 2)
        let body = Array(MTSMessages.ticketRequest("loop-1").utf8)
        let classified = MessageClassifier(maxMessageBytes: 1 << 20, limitKey: "intake.maxMessageBytes")
            .request(body, correlationProperty: "loop-1")
        guard case .valid = attempts.check(classified, body: body, redelivered: false),
            case .valid = attempts.check(classified, body: body, redelivered: true)
        else {
            Issue.record("given up too early")
            return
        }
        guard case .rejected(let rejection) = attempts.check(classified, body: body, redelivered: true) else {
            Issue.record("not given up after 2 attempts")
            return
        }
        #expect(rejection.description == "$: gave up after 2 attempts (deadLetter.maxAttempts)")
        #expect(rejection.correlationId == "loop-1")
        #expect(rejection.summary?.ticketId == "T-loop-1")
        #expect(rejection.isJSONObject)
    }

    @Test func messagesWithoutAnIdAreKnownByTheirBody() {
        let attempts = DeliveryAttempts(limit: 2)
        let classifier = MessageClassifier(maxMessageBytes: 1 << 20, limitKey: "intake.maxMessageBytes")
        let (a, b) = (Array("not json a".utf8), Array("not json b".utf8))
        _ = attempts.check(classifier.request(a, correlationProperty: nil), body: a, redelivered: true)
        let other = attempts.check(
            classifier.request(b, correlationProperty: nil), body: b, redelivered: true)
        let again = attempts.check(
            classifier.request(a, correlationProperty: nil), body: a, redelivered: true)
        if case .rejected(let rejection) = other { #expect(!rejection.description.contains("gave up")) }
        guard case .rejected(let rejection) = again else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.description.contains("gave up after 2 attempts"))
    }

    @Test func theRejectionNamesTheAttemptsAndTheKey() {
        let rejection = MessageRejection<MTSRequestSummary>(
            reason: .gaveUp(attempts: 10, limitKey: "deadLetter.maxAttempts", isJSONObject: true),
            correlationId: "x", summary: nil)
        #expect(rejection.description == "$: gave up after 10 attempts (deadLetter.maxAttempts)")
        #expect(rejection.isJSONObject)
    }
}
