import MTSCorrelation
import Testing

@Suite("Oldest outstanding request")
struct CorrelationCoreOldestTests {
    private let t0 = Fixtures.epoch

    @Test func followsRegistrationsMatchesAndTimeouts() throws {
        var core = CorrelationCore(configuration: Fixtures.configuration, now: t0)
        #expect(core.oldestOutstandingTimestamp() == nil)
        // Registered out of timestamp order; cancels wait 5 s, placements 1 s.
        _ = try core.register(
            Fixtures.request("late-stamp", operation: "ticket-cancel", contentType: "cancel", at: t0 + 300),
            now: t0)
        _ = try core.register(
            Fixtures.request("oldest", operation: "ticket-cancel", contentType: "cancel", at: t0 + 100),
            now: t0)
        _ = try core.register(Fixtures.request("placement", at: t0 + 200), now: t0)
        #expect(core.oldestOutstandingTimestamp() == t0 + 100)

        _ = core.receive(
            Fixtures.reply("oldest", operation: "ticket-cancel", contentType: "cancel-reply", at: t0 + 400),
            now: t0 + 400)
        #expect(core.oldestOutstandingTimestamp() == t0 + 200)
        // The placement times out after its second; the cancel is left.
        _ = core.advanceAll(to: t0 + 1_500)
        #expect(core.oldestOutstandingTimestamp() == t0 + 300)
        _ = core.receive(
            Fixtures.reply(
                "late-stamp", operation: "ticket-cancel", contentType: "cancel-reply", at: t0 + 1_600),
            now: t0 + 1_600)
        #expect(core.oldestOutstandingTimestamp() == nil)
    }

    @Test func staysRightAcrossManyResolutionsUnderALongLivedRequest() throws {
        var core = CorrelationCore(configuration: Fixtures.configuration, now: t0)
        _ = try core.register(
            Fixtures.request("long", operation: "ticket-cancel", contentType: "cancel", at: t0), now: t0)
        // Far more resolved entries than the rebuild threshold pile up under the long-lived one.
        for index in 0..<10_000 {
            let id = "r\(index)"
            _ = try core.register(Fixtures.request(id, at: t0 + 1), now: t0 + 1)
            _ = core.receive(Fixtures.reply(id, at: t0 + 2), now: t0 + 2)
            #expect(core.oldestOutstandingTimestamp() == t0)
        }
        _ = core.receive(
            Fixtures.reply("long", operation: "ticket-cancel", contentType: "cancel-reply", at: t0 + 3),
            now: t0 + 3)
        #expect(core.oldestOutstandingTimestamp() == nil)
    }
}
