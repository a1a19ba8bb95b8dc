/// Replies whose records were handed to the log, waiting for that transaction's commit to be
/// acknowledged: the result loop appends, its acknowledger takes them all at once, waits for
/// the commit once and acknowledges them, so that the loop never waits for a commit.
typealias AcknowledgementQueue = BatchingQueue<PendingAcknowledgement>

/// One reply delivery to acknowledge once its record is durable.
struct PendingAcknowledgement: Sendable {
    var entry: DeliveryRegistry.Entry
    /// How long the reply waited for its request by design, left out of the relay latency.
    var waitedMs: Int64
}
