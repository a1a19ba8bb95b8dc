import MTSCorrelation

/// A service the relay calls itself (an "active upstream"), as opposed to MTS, whose replies it
/// only reads: requests come from a queue, the relay sends each one and reads the answer.
///
/// The queue consumer, the durable registration, the "sent" mark, the engine, the retries and
/// the results are generic (``UpstreamSide``, ``UpstreamResultLoop``); a conformer says how to
/// check a message, send it once and read its answer. The jackpot Bet Engine
/// (``JackpotUpstream``) is the first.
///
/// A conformer's `send` must tell apart what certainly did not reach the upstream (it may be
/// sent again) from what may have: an upstream that is not idempotent must never see a request
/// twice, so when in doubt the answer is ``UpstreamAttempt/unknown(reason:)``.
protocol ActiveUpstream: Sendable {
    /// Names the upstream in logs and metrics, and its reply watermark's queue (`jackpot`).
    var name: String { get }
    /// The operation of its requests in the engine and in records (`jackpot-ticket`).
    var operation: String { get }
    /// The queue its requests arrive on.
    var queue: String { get }
    /// How long a request may take, from its registration to the answer (ms).
    var timeoutMs: Int64 { get }
    /// Requests sent at once at most.
    var concurrency: Int { get }
    /// Deliveries of ``queue`` unacknowledged at most.
    var prefetch: Int { get }

    /// Why the message body cannot be sent (all its violations, with JSON paths), or nil.
    func problem(with body: [UInt8]) -> String?

    /// Sends the request once (`body` is the message as received); returns by `deadline` (ms
    /// since the epoch) at the latest.
    func send(_ body: [UInt8], correlationId: String, deadline: Int64) async -> UpstreamAttempt

    /// Reads an answer for the result record.
    func summarize(_ answer: RecordedAnswer) -> UpstreamAnswerSummary

    /// Background work (the HTTP client's life); returns when cancelled, after cleaning up.
    func run() async throws
}

extension ActiveUpstream {
    /// The engine's content type of its requests (the operation); answers are `<type>-reply`.
    var contentType: String { operation }
}
