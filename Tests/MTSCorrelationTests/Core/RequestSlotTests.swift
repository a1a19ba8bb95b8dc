import Testing

@testable import MTSCorrelation

/// A slot packs body ‖ correlation id ‖ ticket id in one buffer; `takeBody()` hands the body to
/// the resolving result and leaves the ids readable.
@Suite struct RequestSlotTests {
    static func slot(body: String, id: String, ticketId: String?) -> RequestSlot {
        let ticket = ticketId.map { Array($0.utf8) }
        return RequestSlot(
            packed: Array(body.utf8) + Array(id.utf8) + (ticket ?? []), bodyCount: Int32(body.utf8.count),
            idCount: UInt16(id.utf8.count), ticketIdCount: Int16(ticket?.count ?? -1), operation: 0,
            contentType: 0, state: .outstanding, recovered: false, timestampUtc: 0, deadline: 0, bodyHash: 0,
            replyHash: 0, resolvedAt: 0)
    }

    @Test(
        arguments: [
            ("{\"ticket\":1}", "corr-1", "T-1"),
            ("body", "c", nil),
            ("", "empty-body", "T"),
            (String(repeating: "é", count: 300), "ünïcode-id", ""),
        ] as [(String, String, String?)])
    func takeBodyHandsOverTheBodyAndKeepsTheIds(body: String, id: String, ticketId: String?) {
        var slot = Self.slot(body: body, id: id, ticketId: ticketId)
        #expect(slot.body == Array(body.utf8))
        #expect(slot.takeBody() == Array(body.utf8))
        #expect(slot.bodyCount == 0)
        #expect(slot.body == [])
        #expect(slot.correlationId == id)
        #expect(slot.ticketId == ticketId)
        #expect(Array(slot.idBytes) == Array(id.utf8))
        #expect(slot.takeBody() == [], "taken once")
        #expect(slot.correlationId == id)
    }

    @Test func takeBodyLeavesACopyOfTheSlotIntact() {
        var slot = Self.slot(body: "the body", id: "corr", ticketId: "T-9")
        let copy = slot
        #expect(slot.takeBody() == Array("the body".utf8))
        #expect(copy.body == Array("the body".utf8))
        #expect(copy.correlationId == "corr")
        #expect(copy.ticketId == "T-9")
    }

    @Test func dropBodyKeepsTheIds() {
        var slot = Self.slot(body: "dropped", id: "corr", ticketId: "T-2")
        slot.dropBody()
        #expect(slot.body == [])
        #expect(slot.correlationId == "corr")
        #expect(slot.ticketId == "T-2")
    }
}
