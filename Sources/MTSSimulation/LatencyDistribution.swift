import Foundation

/// How long the simulated MTS takes to answer a request, in milliseconds.
public enum LatencyDistribution: Sendable, Hashable, CustomStringConvertible {
    /// Always the same delay.
    case fixed(Int64)
    /// Uniform over a closed range.
    case uniform(ClosedRange<Int64>)
    /// Exponential with this mean (memoryless, a long tail; capped by the caller).
    case exponential(mean: Double)

    /// Parses `20` (fixed), `5..50` (uniform) or `exp:30` (exponential, mean 30).
    public init?(parsing text: String) {
        if text.hasPrefix("exp:") {
            guard let mean = Double(text.dropFirst(4)), mean > 0, mean.isFinite else { return nil }
            self = .exponential(mean: mean)
        } else if let range = text.range(of: "..") {
            guard let low = Int64(text[..<range.lowerBound]), let high = Int64(text[range.upperBound...]),
                low >= 0, low <= high
            else { return nil }
            self = .uniform(low...high)
        } else {
            guard let value = Int64(text), value >= 0 else { return nil }
            self = .fixed(value)
        }
    }

    /// One delay in milliseconds, 0 or more.
    public func sample(using random: inout SimulationRandom) -> Int64 {
        switch self {
        case .fixed(let value):
            return value
        case .uniform(let range):
            return Int64.random(in: range, using: &random)
        case .exponential(let mean):
            let draw = -mean * Foundation.log(1 - random.unit())
            return Int64(min(draw, 86_400_000).rounded())
        }
    }

    public var description: String {
        switch self {
        case .fixed(let value): "\(value)"
        case .uniform(let range): "\(range.lowerBound)..\(range.upperBound)"
        case .exponential(let mean): "exp:\(mean)"
        }
    }
}
