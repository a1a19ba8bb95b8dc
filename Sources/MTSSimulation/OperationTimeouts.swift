import MTSCorrelation

/// The relay's timeout table as the simulation assumes it (the engine's own type): it
/// schedules `late` replies after the deadline and `normal` ones well before it.
extension OperationTimeouts {
    /// The relay's defaults with `ticket-cancel=2000,default=30000`-style entries merged over
    /// them, as the relay merges its `timeouts:` section.
    public init(parsing text: String) throws(SimulationOptionError) {
        self = .mtsDefaults
        guard !text.isEmpty else { return }
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Int64(parts[1]), value > 0 else {
                throw SimulationOptionError(
                    "--timeouts: '\(entry)' is not operation=milliseconds (more than 0)")
            }
            if parts[0] == "default" {
                defaultTimeout = value
            } else {
                byOperation[parts[0]] = value
            }
        }
    }

    /// The timeout of `kind`'s operation.
    public func milliseconds(for kind: RequestKind) -> Int64 {
        timeout(for: kind.operation)
    }
}
