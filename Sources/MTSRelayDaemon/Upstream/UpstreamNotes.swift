import Synchronization

/// Why a request to an active upstream has no answer, kept until its `timeout` record is made
/// (e.g. "outcome unknown: the ticket may have been created (HTTP 500)", or "not sent: ...").
/// A request without a note times out as outcome unknown: after a restart nothing else is known.
final class UpstreamNotes: Sendable {
    private let notes = Mutex<[String: String]>([:])

    /// Keeps `note` for `correlationId` (replacing an earlier one).
    func set(_ correlationId: String, _ note: String) {
        notes.withLock { $0[correlationId] = note }
    }

    /// The note for `correlationId`, removed.
    func take(_ correlationId: String) -> String? {
        notes.withLock { $0.removeValue(forKey: correlationId) }
    }
}
