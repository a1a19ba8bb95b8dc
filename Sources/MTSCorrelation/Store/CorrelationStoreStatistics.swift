/// Figures about the store's batched transactions, for benchmarks and diagnostics.
public struct CorrelationStoreStatistics: Sendable, Hashable {
    /// Transactions committed.
    public var transactions = 0
    /// Effects (rows inserted, updated or deleted) written.
    public var effects = 0
    /// The most effects in one transaction.
    public var largestTransaction = 0
    /// The longest transaction, in nanoseconds.
    public var longestTransactionNanoseconds: UInt64 = 0
    /// The longest transaction since the figures were last taken
    /// (``CorrelationEngine/takeStoreStatistics()``), in nanoseconds.
    public var longestRecentTransactionNanoseconds: UInt64 = 0
    /// All transactions' time together, in nanoseconds.
    public var totalNanoseconds: UInt64 = 0
    /// Effects written as part of an earlier change of the same request in their transaction
    /// (a resolve with its insert, a confirm with its resolve): rows not written twice.
    public var foldedEffects = 0
    /// Effects the database refused for their values (data errors), left out of their batch.
    public var refusedEffects = 0

    /// Creates empty statistics.
    public init() {}

    mutating func record(effects count: Int, nanoseconds: UInt64) {
        transactions += 1
        effects += count
        largestTransaction = max(largestTransaction, count)
        longestTransactionNanoseconds = max(longestTransactionNanoseconds, nanoseconds)
        longestRecentTransactionNanoseconds = max(longestRecentTransactionNanoseconds, nanoseconds)
        totalNanoseconds += nanoseconds
    }
}
