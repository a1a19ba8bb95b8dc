/// One outstanding request, packed for memory: 64 bytes plus one heap buffer holding the body,
/// the correlation id and the ticket id back to back. Operation and content type are one index
/// into the core's interned kinds. A resolved request leaves its slot for a ``Tombstone``.
struct RequestSlot: Sendable {
    /// body ‖ correlationId (UTF-8) ‖ ticketId (UTF-8)
    var packed: [UInt8]
    var bodyCount: Int32
    var idCount: UInt16
    /// -1 when the request has no ticket id.
    var ticketIdCount: Int16
    /// The request's operation and content type (``CorrelationCore/kinds``).
    var kind: UInt16
    /// False for a slot on the free list.
    var isOutstanding: Bool
    /// Recovered from the store at startup.
    var recovered: Bool
    var timestampUtc: Int64
    /// Inclusive: a reply received at or before this instant matches.
    var deadline: Int64
    var bodyHash: UInt64

    static let empty = RequestSlot(
        packed: [], bodyCount: 0, idCount: 0, ticketIdCount: -1, kind: 0, isOutstanding: false,
        recovered: false, timestampUtc: 0, deadline: 0, bodyHash: 0)

    var idBytes: ArraySlice<UInt8> {
        packed[Int(bodyCount)..<Int(bodyCount) + Int(idCount)]
    }

    var correlationId: String {
        String(decoding: idBytes, as: UTF8.self)
    }

    var ticketId: String? {
        guard ticketIdCount >= 0 else { return nil }
        let start = Int(bodyCount) + Int(idCount)
        return String(decoding: packed[start..<start + Int(ticketIdCount)], as: UTF8.self)
    }

    var body: [UInt8] {
        Array(packed[0..<Int(bodyCount)])
    }

    /// Hands the body over once the request is resolved, without copying it: the slot is freed
    /// next, so the buffer, truncated in place, becomes the body.
    mutating func takeBody() -> [UInt8] {
        guard bodyCount > 0 else { return [] }
        var body: [UInt8] = []
        swap(&body, &packed)
        // Uniquely referenced now (callers hold no copy of this slot), so this truncates in place.
        body.removeLast(body.count - Int(bodyCount))
        bodyCount = 0
        idCount = 0
        ticketIdCount = -1
        return body
    }
}
