import MTSCorrelation

/// Results whose records every sink accepted, waiting to be confirmed to the engine and
/// acknowledged: the result loop's tasks append, its confirmer takes them all at once, so that
/// confirms (and the store transactions behind them) are batched however many results are
/// under way.
typealias ConfirmationQueue = BatchingQueue<ConfirmationItem>

/// One result to confirm.
struct ConfirmationItem: Sendable {
    var id: CorrelationResult.ID
    /// The reply's delivery, when the result came from one.
    var entry: DeliveryRegistry.Entry?
}
