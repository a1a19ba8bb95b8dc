import MTSProtocol

/// Response timeouts per MTS operation, in milliseconds.
public struct OperationTimeouts: Sendable, Hashable, CustomStringConvertible {
    /// The timeout of any operation not listed in ``byOperation``.
    public var defaultTimeout: Int64
    /// Timeouts of named operations.
    public var byOperation: [String: Int64]

    /// Creates a timeout table.
    public init(defaultTimeout: Int64, byOperation: [String: Int64]) {
        self.defaultTimeout = defaultTimeout
        self.byOperation = byOperation
    }

    /// The defaults of the MTS SDKs (reference §2): the one built-in table, used by the engine,
    /// the configuration's defaults and mts-sim.
    public static let mtsDefaults = OperationTimeouts(
        defaultTimeout: 30_000,
        byOperation: [
            MTSOperation.ticketPlacement.rawValue: 17_000,
            MTSOperation.ticketCancel.rawValue: 600_000,
            MTSOperation.ticketCashout.rawValue: 600_000,
            MTSOperation.ticketExtSettlement.rawValue: 600_000,
        ]
    )

    /// The timeout of `operation`.
    public func timeout(for operation: String) -> Int64 {
        byOperation[operation] ?? defaultTimeout
    }

    /// `default=30000,ticket-cancel=600000,...`, the operations in name order.
    public var description: String {
        (["default=\(defaultTimeout)"]
            + byOperation.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            .joined(separator: ",")
    }
}
