/// The relative weights of the request kinds the simulated platform sends.
public struct KindMix: Sendable, CustomStringConvertible {
    /// The kinds with a weight above 0, in declaration order.
    public private(set) var weights: [(kind: RequestKind, weight: Double)]

    /// Every kind with the same weight.
    public static let even = KindMix(weights: RequestKind.allCases.map { ($0, 1) })

    private init(weights: [(kind: RequestKind, weight: Double)]) {
        self.weights = weights
    }

    /// Parses `ticket-placement=5,ticket-cancel=1` (a kind without `=` weighs 1), or `all`.
    /// Throws a message naming the first bad entry.
    public init(parsing text: String) throws(SimulationOptionError) {
        if text == "all" {
            self = .even
            return
        }
        var found: [RequestKind: Double] = [:]
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first, let kind = RequestKind(rawValue: name) else {
                throw SimulationOptionError(
                    "--mix: unknown kind '\(entry)' (one of \(RequestKind.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            let weight = parts.count == 2 ? Double(parts[1]) : 1
            guard let weight, weight >= 0, weight.isFinite else {
                throw SimulationOptionError("--mix: weight of \(name) is not a number of 0 or more")
            }
            found[kind, default: 0] += weight
        }
        let weights = RequestKind.allCases.compactMap { kind in
            found[kind].flatMap { $0 > 0 ? (kind, $0) : nil }
        }
        guard !weights.isEmpty else { throw SimulationOptionError("--mix: no kind has a weight above 0") }
        self.init(weights: weights)
    }

    /// The kinds with a weight above 0.
    public var kinds: [RequestKind] { weights.map(\.kind) }

    /// One kind, drawn by weight.
    public func pick(using random: inout SimulationRandom) -> RequestKind {
        let total = weights.reduce(0) { $0 + $1.weight }
        var draw = random.unit() * total
        for (kind, weight) in weights {
            if draw < weight { return kind }
            draw -= weight
        }
        return weights[weights.count - 1].kind
    }

    public var description: String {
        weights.map { "\($0.kind.rawValue)=\(Self.format($0.weight))" }.joined(separator: ",")
    }

    private static func format(_ weight: Double) -> String {
        weight == weight.rounded() ? String(Int(weight)) : String(weight)
    }
}
