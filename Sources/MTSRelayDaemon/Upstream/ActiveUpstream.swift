import MTSCorrelation
import MTSProtocol

/// A service the relay calls itself (an "active upstream"), as opposed to MTS, whose replies it
/// only reads: requests come from a queue, the relay sends each one and reads the answer.
///
/// The queue's consumer (``UpstreamQueue`` under the daemon's one ``ConsumerSession``), the
/// durable registration, the "sent" marks, the sending and its retries (``UpstreamSender``),
/// the engine and the results (``UpstreamResultLoop``) are generic; a conformer says how to
/// classify a message, send it once and read its answer. The jackpot Bet Engine
/// (``JackpotUpstream``) is the first.
///
/// A conformer's `send` must tell apart what certainly did not reach the upstream (it may be
/// sent again) from what may have: an upstream that is not idempotent must never see a request
/// twice, so when in doubt the answer is ``UpstreamAttempt/unknown(reason:)``.
protocol ActiveUpstream: Sendable {
    associatedtype Summary: EnvelopeSummary

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

    /// Classifies a message of ``queue`` read at `receivedAt` (ms since the epoch). Pure.
    func classify(
        _ body: [UInt8], correlationProperty: String?, receivedAt: Int64
    ) -> ClassifiedMessage<Summary>

    /// What is sent for a valid message, from what its classification read.
    func payload(of summary: Summary) -> [UInt8]?

    /// What is sent for a request recovered from the store (the message as received), or nil
    /// when it no longer decodes.
    func payload(ofStored body: [UInt8]) -> [UInt8]?

    /// Sends `payload` once; returns by `deadline` (ms since the epoch) at the latest.
    func send(_ payload: [UInt8], correlationId: String, deadline: Int64) async -> UpstreamAttempt

    /// Reads an answer for the result record.
    func summarize(_ answer: RecordedAnswer) -> UpstreamAnswerSummary
}

extension ActiveUpstream {
    /// The engine's content type of its requests (the operation); answers are `<type>-reply`.
    var contentType: String { operation }
}
