import MTSCorrelation

/// The relay's timeout per operation, in milliseconds, as the simulation assumes it: it
/// schedules `late` replies after the deadline and `normal` ones well before it.
public struct OperationTimeouts: Sendable, Hashable, CustomStringConvertible {
    /// The timeout of operations not named in `byOperation`.
    public var defaultMilliseconds: Int64
    /// Timeouts by operation name.
    public var byOperation: [String: Int64]

    /// mts-relay's built-in timeouts (config/mts-relay.yaml).
    public static let relayDefaults = OperationTimeouts(
        defaultMilliseconds: MTSCorrelation.OperationTimeouts.mtsDefaults.defaultTimeout,
        byOperation: MTSCorrelation.OperationTimeouts.mtsDefaults.byOperation)

    /// Timeouts with these values.
    public init(defaultMilliseconds: Int64, byOperation: [String: Int64]) {
        self.defaultMilliseconds = defaultMilliseconds
        self.byOperation = byOperation
    }

    /// The relay's defaults with `ticket-cancel=2000,default=30000`-style entries merged over
    /// them, as the relay merges its `timeouts:` section.
    public init(parsing text: String) throws(SimulationOptionError) {
        self = .relayDefaults
        guard !text.isEmpty else { return }
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Int64(parts[1]), value > 0 else {
                throw SimulationOptionError(
                    "--timeouts: '\(entry)' is not operation=milliseconds (more than 0)")
            }
            if parts[0] == "default" {
                defaultMilliseconds = value
            } else {
                byOperation[parts[0]] = value
            }
        }
    }

    /// The timeout of `kind`'s operation.
    public func milliseconds(for kind: RequestKind) -> Int64 {
        byOperation[kind.operation] ?? defaultMilliseconds
    }

    public var description: String {
        (["default=\(defaultMilliseconds)"]
            + byOperation.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            .joined(separator: ",")
    }
}
