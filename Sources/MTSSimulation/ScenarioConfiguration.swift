import MTSCorrelation

/// Everything that decides what a simulation run sends: the same configuration and seed plan
/// the same exchanges (only the send times differ).
public struct ScenarioConfiguration: Sendable {
    /// Starts every correlation id (`<prefix>-<index>`); letters, digits and `.:_-` only.
    public var runPrefix: String
    /// Seeds the generator.
    public var seed: UInt64
    /// The request kinds and their weights.
    public var mix = KindMix.even
    /// The fates other than `normal`.
    public var fates = FateRatios()
    /// The share of answered requests whose reply is `accepted` (the rest are `rejected`).
    public var acceptRatio = 0.9
    /// The share of answered requests answered with an `error-reply` instead.
    public var errorReplyRatio = 0.0
    /// The share of malformed replies sent anonymously (no id anywhere).
    public var anonymousMalformedRatio = 0.0
    /// The reply latency of answered requests; capped at half the operation's timeout, so
    /// that `normal` replies are never late.
    public var latency = LatencyDistribution.uniform(5...50)
    /// The relay's timeouts, per operation.
    public var timeouts = OperationTimeouts.mtsDefaults
    /// How long after a request's deadline its `late` reply is published.
    public var lateMarginMilliseconds: Int64 = 500
    /// `drop` and `late` go only to kinds whose timeout is at most this, so that a run (and
    /// its check) does not wait for ten-minute cancel timeouts.
    public var maxTimeoutWaitMilliseconds: Int64 = 20_000

    /// A configuration with the defaults above.
    public init(runPrefix: String, seed: UInt64) {
        self.runPrefix = runPrefix
        self.seed = seed
    }

    /// The kinds that may get `drop` and `late`.
    public var timeoutEligibleMix: KindMix? {
        mix.restricted { timeouts.milliseconds(for: $0) <= maxTimeoutWaitMilliseconds }
    }

    /// Throws the first option that cannot be used.
    public func validate() throws(SimulationOptionError) {
        guard !runPrefix.isEmpty, runPrefix.utf8.count <= 64,
            runPrefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".:_-".contains($0)) })
        else {
            throw SimulationOptionError("--prefix: 1-64 letters, digits, '.', ':', '_' or '-'")
        }
        try fates.validate()
        for (option, ratio) in [
            ("--accept-ratio", acceptRatio), ("--error-replies", errorReplyRatio),
            ("--anonymous-malformed", anonymousMalformedRatio),
        ] where !(0...1).contains(ratio) {
            throw SimulationOptionError("\(option): \(ratio) is not a ratio between 0 and 1")
        }
        guard lateMarginMilliseconds >= 0 else { throw SimulationOptionError("--late-margin-ms: 0 or more") }
        if fates.drop + fates.late > 0, timeoutEligibleMix == nil {
            throw SimulationOptionError(
                "--drop/--late: no kind of --mix has a timeout of at most --max-timeout-wait-ms "
                    + "(\(maxTimeoutWaitMilliseconds) ms); timeouts: \(timeouts)")
        }
    }
}

extension KindMix {
    /// The mix without the kinds `include` refuses; nil when none is left.
    func restricted(_ include: (RequestKind) -> Bool) -> KindMix? {
        let kept = weights.filter { include($0.kind) }
        guard !kept.isEmpty else { return nil }
        return try? KindMix(parsing: kept.map { "\($0.kind.rawValue)=\($0.weight)" }.joined(separator: ","))
    }
}
