import MTSCorrelation

/// Builders for requests and replies in tests. Times are ms since the Unix epoch.
enum Fixtures {
    /// 2026-01-01T00:00:00Z.
    static let epoch: Int64 = 1_767_225_600_000

    static func request(
        _ id: String, operation: String = "ticket-placement", contentType: String = "ticket",
        at timestamp: Int64 = epoch, ticketId: String? = "T-1", body: String? = nil
    ) -> CorrelationRequest {
        CorrelationRequest(
            correlationId: id, operation: operation, contentType: contentType, timestampUtc: timestamp,
            ticketId: ticketId, body: Array((body ?? "{\"request\":\"\(id)\"}").utf8))
    }

    static func reply(
        _ id: String, operation: String = "ticket-placement", contentType: String = "ticket-reply",
        at timestamp: Int64 = epoch, token: UInt64 = 1, redelivered: Bool = false, body: String? = nil
    ) -> CorrelationReply {
        CorrelationReply(
            correlationId: id, operation: operation, contentType: contentType, timestampUtc: timestamp,
            body: Array((body ?? "{\"reply\":\"\(id)\"}").utf8), token: token, redelivered: redelivered)
    }

    /// A small configuration: ticket-placement 1 s, everything else 5 s; grace 200 ms;
    /// retention 10 s; one reply queue `replies` and one intake queue `intake`.
    static let configuration = CorrelationConfiguration(
        timeouts: OperationTimeouts(defaultTimeout: 5_000, byOperation: ["ticket-placement": 1_000]),
        retention: 10_000, unmatchedGrace: 200, capacity: 1_000)
}

extension CorrelationCore {
    /// Moves both watermarks to `time` (as a relay that keeps up reports them, minus no
    /// transit) and fires what is due at relay time `time`.
    mutating func advanceAll(to time: Int64, limit: Int = .max) -> CorrelationStep {
        advanceWatermark(.replies, queue: "replies", to: time, now: time)
        advanceWatermark(.intake, queue: "intake", to: time, now: time)
        return advance(to: time, limit: limit)
    }
}

extension CorrelationEngine {
    /// As a relay that keeps up: moves both watermarks to `time` (the test clock's now) and
    /// fires every timer that is due, as many as the result buffer has room for; returns the
    /// number of results.
    @discardableResult
    func processDueTimers(watermarksAt time: Int64) -> Int {
        advanceWatermark(.replies, queue: "replies", to: time)
            + advanceWatermark(.intake, queue: "intake", to: time) + processDueTimers()
    }
}

extension CorrelationStep {
    var outcomes: [CorrelationOutcome] { results.map(\.outcome) }
}
