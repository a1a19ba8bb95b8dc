import MTSCorrelation

/// How one attempt to send a request to an active upstream ended.
enum UpstreamAttempt: Sendable {
    /// A final answer: it becomes the request's result and is never retried.
    case answered(RecordedAnswer)
    /// The upstream answered "not now" (it created nothing): sent again, after `retryAfter`
    /// when the upstream said.
    case refused(reason: String, retryAfter: Duration?)
    /// The request's bytes certainly never left (no connection, TLS refused, the client shut
    /// down): sent again.
    case notSent(reason: String)
    /// The upstream may have taken it (the connection was lost after the request was written,
    /// an unexpected status): never sent again; the request times out with this reason.
    case unknown(reason: String)
}
