/// One correlation id of a run: its request (unless unsolicited), its replies, and the results
/// the relay owes for it.
public struct PlannedExchange: Sendable, Hashable {
    /// The position in the run, from 0.
    public var index: Int
    public var correlationId: String
    public var kind: RequestKind
    public var fate: Fate
    public var content: ExchangeContent
    public var replies: [PlannedReply]

    /// Whether a request is published.
    public var hasRequest: Bool { fate.hasRequest }

    /// Whether a malformed reply of this exchange goes out without any correlation id.
    public var hasAnonymousReply: Bool { replies.contains { $0.malformation == .anonymous } }

    /// The outcomes the relay owes under this correlation id.
    public var expectedOutcomes: [ResultOutcome] {
        fate.expectedOutcomes(anonymousMalformed: hasAnonymousReply)
    }

    /// The request body, stamped `timestampUtc`.
    public func requestBody(timestampUtc: Int64) -> [UInt8] {
        MessageFactory.request(
            kind: kind, correlationId: correlationId, content: content, timestampUtc: timestampUtc)
    }

    /// The body of `reply`, stamped `timestampUtc`.
    public func body(of reply: PlannedReply, timestampUtc: Int64) -> [UInt8] {
        let valid = MessageFactory.reply(
            kind: kind, correlationId: correlationId, content: content, timestampUtc: timestampUtc)
        return reply.malformation.map { $0.apply(to: valid) } ?? valid
    }

    /// The AMQP `correlation_id` property of `reply`: the correlation id, except for an
    /// anonymous malformed reply.
    public func correlationIDProperty(of reply: PlannedReply) -> String? {
        reply.malformation == .anonymous ? nil : correlationId
    }

    /// The manifest line of this exchange, sent at `sentAt` (ms since the epoch: the request's
    /// `timestampUtc`, or when an unsolicited reply was due), with the relay's `timeout` and
    /// unmatched grace (ms) for its due time.
    public func manifestEntry(sentAt: Int64, timeout: Int64, unmatchedGrace: Int64) -> ManifestEntry {
        let lastReply = replies.map(\.delayMilliseconds).max() ?? 0
        let dueAt: Int64
        switch fate {
        case .drop: dueAt = sentAt + timeout
        case .unsolicited: dueAt = sentAt + lastReply + unmatchedGrace
        default: dueAt = sentAt + lastReply
        }
        return ManifestEntry(
            correlationId: correlationId, kind: kind, fate: fate, expected: expectedOutcomes, sentAt: sentAt,
            dueAt: dueAt, answer: content.answer, malformation: replies.compactMap(\.malformation).first)
    }
}
