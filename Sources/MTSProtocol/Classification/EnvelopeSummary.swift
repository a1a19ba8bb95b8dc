/// The envelope fields a consumer needs from a request or a reply, read even from an invalid
/// message: what ``MessageClassifier`` checks and what a record reports.
public protocol EnvelopeSummary: Sendable, Hashable {
    /// The body's `correlationId`.
    var correlationId: String? { get }
    /// `operation`.
    var operation: String? { get }
    /// `content.type`.
    var contentType: String? { get }
    /// `timestampUtc`, in milliseconds since the epoch.
    var timestampUtc: Int64? { get }
    /// `content.ticketId`, when the content has one.
    var ticketId: String? { get }
}

extension MTSRequestSummary: EnvelopeSummary {}
extension MTSReplySummary: EnvelopeSummary {}
