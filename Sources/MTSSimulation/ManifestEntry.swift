/// One line of a run manifest: a correlation id and the results the relay owes for it.
public struct ManifestEntry: Sendable, Hashable, Codable {
    public var correlationId: String
    public var kind: RequestKind
    public var fate: Fate
    /// The outcomes owed, in the order the relay writes them.
    public var expected: [ResultOutcome]
    /// Milliseconds since the epoch: the request's `timestampUtc` (or when an unsolicited reply
    /// was due).
    public var sentAt: Int64
    /// Milliseconds since the epoch: from then on every owed result can exist (the relay's own
    /// processing time aside).
    public var dueAt: Int64
    public var answer: ExchangeContent.Answer
    /// How the exchange's malformed reply was broken; `anonymous` means its `invalid` record
    /// has no correlation id and is counted, not attributed.
    public var malformation: MalformedVariant?

    /// An entry with these values.
    public init(
        correlationId: String, kind: RequestKind, fate: Fate, expected: [ResultOutcome], sentAt: Int64,
        dueAt: Int64, answer: ExchangeContent.Answer, malformation: MalformedVariant?
    ) {
        self.correlationId = correlationId
        self.kind = kind
        self.fate = fate
        self.expected = expected
        self.sentAt = sentAt
        self.dueAt = dueAt
        self.answer = answer
        self.malformation = malformation
    }

    /// Whether the relay owes an `invalid` record with a null correlation id for this entry.
    public var owesAnonymousInvalid: Bool { malformation == .anonymous }
}
