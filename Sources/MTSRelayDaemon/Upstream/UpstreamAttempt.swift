import MTSCorrelation

/// How one attempt to send a request to an active upstream ended.
enum UpstreamAttempt: Sendable {
    /// A final answer: it becomes the request's result and is never retried.
    case answered(RecordedAnswer)
    /// The upstream certainly did not take the request (it asked to come back later, or no
    /// connection was made): it may be sent again, after `retryAfter` when the upstream said.
    case retry(reason: String, retryAfter: Duration?)
    /// The upstream may have taken it (the connection was lost after the request was written,
    /// an unexpected status): never sent again; the request times out with this reason.
    case unknown(reason: String)
}
