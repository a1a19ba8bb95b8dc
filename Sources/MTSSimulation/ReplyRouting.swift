/// Which reply queue each exchange's replies go to: `kind=queue` entries by request kind, the
/// plain queues round-robin by exchange (every reply of one exchange to the same queue).
public struct ReplyRouting: Sendable, Hashable {
    public private(set) var byKind: [RequestKind: String] = [:]
    public private(set) var roundRobin: [String] = []

    /// Parses `--replies` values, each a queue or `kind=queue` (comma-separated lists too).
    /// Every kind of `mix` must have a queue.
    public init(parsing values: [String], mix: KindMix) throws(SimulationOptionError) {
        for entry in values.flatMap({ $0.split(separator: ",").map(String.init) }) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                guard let kind = RequestKind(rawValue: parts[0]), !parts[1].isEmpty else {
                    throw SimulationOptionError("--replies: '\(entry)' is not queue or kind=queue")
                }
                byKind[kind] = parts[1]
            } else if !entry.isEmpty {
                roundRobin.append(entry)
            }
        }
        if roundRobin.isEmpty, let missing = mix.kinds.first(where: { byKind[$0] == nil }) {
            throw SimulationOptionError("--replies: no queue for \(missing.rawValue)")
        }
    }

    /// Every queue named.
    public var queues: [String] {
        var seen = Set<String>()
        return (roundRobin + RequestKind.allCases.compactMap { byKind[$0] }).filter {
            seen.insert($0).inserted
        }
    }

    /// The queue of `exchange`'s replies.
    public func queue(for exchange: PlannedExchange) -> String {
        byKind[exchange.kind] ?? roundRobin[exchange.index % roundRobin.count]
    }
}
