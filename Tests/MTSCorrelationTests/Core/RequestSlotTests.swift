import Testing

@testable import MTSCorrelation

/// A slot packs body ‖ correlation id ‖ ticket id in one buffer; `takeBody()` hands the body to
/// the resolving result without a copy (the slot is freed next).
@Suite struct RequestSlotTests {
    static func slot(body: String, id: String, ticketId: String?) -> RequestSlot {
        let ticket = ticketId.map { Array($0.utf8) }
        return RequestSlot(
            packed: Array(body.utf8) + Array(id.utf8) + (ticket ?? []), bodyCount: Int32(body.utf8.count),
            idCount: UInt16(id.utf8.count), ticketIdCount: Int16(ticket?.count ?? -1), kind: 0,
            isOutstanding: true, recovered: false, timestampUtc: 0, deadline: 0, bodyHash: 0)
    }

    @Test(
        arguments: [
            ("{\"ticket\":1}", "corr-1", "T-1"),
            ("body", "c", nil),
            ("", "empty-body", "T"),
            (String(repeating: "é", count: 300), "ünïcode-id", ""),
        ] as [(String, String, String?)])
    func takeBodyHandsOverTheBody(body: String, id: String, ticketId: String?) {
        var slot = Self.slot(body: body, id: id, ticketId: ticketId)
        #expect(slot.body == Array(body.utf8))
        #expect(slot.correlationId == id)
        #expect(slot.ticketId == ticketId)
        #expect(Array(slot.idBytes) == Array(id.utf8))
        #expect(slot.takeBody() == Array(body.utf8))
        #expect(slot.bodyCount == 0)
        #expect(slot.body == [])
        #expect(slot.takeBody() == [], "taken once")
    }

    @Test func takeBodyLeavesACopyOfTheSlotIntact() {
        var slot = Self.slot(body: "the body", id: "corr", ticketId: "T-9")
        let copy = slot
        #expect(slot.takeBody() == Array("the body".utf8))
        #expect(copy.body == Array("the body".utf8))
        #expect(copy.correlationId == "corr")
        #expect(copy.ticketId == "T-9")
    }
}
