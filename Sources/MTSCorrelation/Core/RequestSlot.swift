/// One request in the pending table, packed for memory: 64 bytes plus one heap buffer holding
/// the body, the correlation id and the ticket id back to back (a resolved request keeps only
/// the two ids). Operation and content type are indices into the core's interned names.
struct RequestSlot: Sendable {
    enum State: UInt8, Sendable {
        case free
        case outstanding
        case matched
        case timedOut
    }

    /// body ‖ correlationId (UTF-8) ‖ ticketId (UTF-8)
    var packed: [UInt8]
    var bodyCount: Int32
    var idCount: UInt16
    /// -1 when the request has no ticket id.
    var ticketIdCount: Int16
    var operation: UInt16
    var contentType: UInt16
    var state: State
    /// Recovered from the store at startup.
    var recovered: Bool
    /// A tombstone whose record is in the log of results (confirmed): a redelivery of its
    /// reply needs no record again. Fits in the padding: the slot stays 64 bytes.
    var recorded: Bool = false
    /// A tombstone whose decision's result has not had its record queued for the log yet (see
    /// ``CorrelationCore/purgeWaitsForRecord``). Also in the padding.
    var awaitingRecord: Bool = false
    var timestampUtc: Int64
    /// Inclusive: a reply received at or before this instant matches.
    var deadline: Int64
    var bodyHash: UInt64
    /// Hash of the matching reply's body (matched tombstones).
    var replyHash: UInt64
    var resolvedAt: Int64

    static let empty = RequestSlot(
        packed: [], bodyCount: 0, idCount: 0, ticketIdCount: -1, operation: 0, contentType: 0, state: .free,
        recovered: false, timestampUtc: 0, deadline: 0, bodyHash: 0, replyHash: 0, resolvedAt: 0)

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

    /// Hands the body over once the request is resolved, without copying it: the ids move to a
    /// new small buffer and the old one, truncated in place, becomes the body.
    mutating func takeBody() -> [UInt8] {
        guard bodyCount > 0 else { return [] }
        var body = Array(packed[Int(bodyCount)...])
        swap(&body, &packed)
        // Uniquely referenced now (callers hold no copy of this slot), so this truncates in place.
        body.removeLast(body.count - Int(bodyCount))
        bodyCount = 0
        return body
    }

    /// Drops the body once the request is resolved; the ids stay.
    mutating func dropBody() {
        guard bodyCount > 0 else { return }
        packed = Array(packed[Int(bodyCount)...])
        bodyCount = 0
    }
}
