import Synchronization

/// Why a request to an active upstream has no answer, kept until its `timeout` record is made.
/// A request without a note times out as outcome unknown: after a restart nothing else is known.
final class UpstreamNotes: Sendable {
    private let notes = Mutex<[String: UpstreamNote]>([:])

    /// Keeps `note` for `correlationId` (replacing an earlier one).
    func set(_ correlationId: String, _ note: UpstreamNote) {
        notes.withLock { $0[correlationId] = note }
    }

    /// The note for `correlationId`, removed.
    func take(_ correlationId: String) -> UpstreamNote? {
        notes.withLock { $0.removeValue(forKey: correlationId) }
    }
}

/// Why one request has no answer: typed for the metrics, in words for the record's `error`.
struct UpstreamNote: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// It was sent, and the upstream may have created the ticket.
        case outcomeUnknown
        /// It was never taken by the upstream: no ticket was created.
        case notCreated
    }

    var kind: Kind
    /// The record's `error`.
    var text: String

    /// The `error` of a timeout when nothing more is known (e.g. after a restart).
    static let outcomeUnknownText = "outcome unknown: the ticket may have been created"

    /// Sent, outcome unknown, because of `reason`.
    static func outcomeUnknown(_ reason: String) -> UpstreamNote {
        UpstreamNote(kind: .outcomeUnknown, text: "\(outcomeUnknownText) (\(reason))")
    }

    /// Never created; `text` says why ("not sent: ...").
    static func notCreated(_ text: String) -> UpstreamNote {
        UpstreamNote(kind: .notCreated, text: text)
    }
}
