/// Plans a run, one exchange at a time: which correlation id gets which kind and fate, what
/// its messages say and when its replies go out. Pure and deterministic: the same
/// configuration plans the same exchanges.
public struct ScenarioPlanner: Sendable {
    public let configuration: ScenarioConfiguration
    private var random: SimulationRandom
    private let timeoutMix: KindMix?
    /// The index of the next exchange.
    public private(set) var nextIndex = 0

    /// A planner for `configuration`; throws when the configuration cannot be used.
    public init(configuration: ScenarioConfiguration) throws(SimulationOptionError) {
        try configuration.validate()
        self.configuration = configuration
        random = SimulationRandom(seed: configuration.seed)
        timeoutMix = configuration.timeoutEligibleMix
    }

    /// The correlation id of exchange `index` of a run with `prefix`.
    public static func correlationId(prefix: String, index: Int) -> String {
        let digits = String(index)
        return "\(prefix)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// Plans the next exchange.
    public mutating func next() -> PlannedExchange {
        let index = nextIndex
        nextIndex += 1
        let fate = configuration.fates.pick(using: &random)
        let mix = fate.waitsForTimeout ? (timeoutMix ?? configuration.mix) : configuration.mix
        let kind = mix.pick(using: &random)
        let correlationId = Self.correlationId(prefix: configuration.runPrefix, index: index)
        let answer: ExchangeContent.Answer =
            random.unit() < configuration.errorReplyRatio
            ? .error : (random.unit() < configuration.acceptRatio ? .accepted : .rejected)
        let content = MessageFactory.content(
            correlationId: correlationId, kind: kind, answer: answer, using: &random)
        let timeout = configuration.timeouts.milliseconds(for: kind)
        func latency() -> Int64 { min(configuration.latency.sample(using: &random), timeout / 2) }

        let replies: [PlannedReply]
        switch fate {
        case .normal, .unsolicited:
            replies = [PlannedReply(timing: .afterRequest(milliseconds: latency()))]
        case .replyFirst:
            replies = [PlannedReply(timing: .beforeRequest)]
        case .drop:
            replies = []
        case .late:
            replies = [
                PlannedReply(
                    timing: .afterRequest(milliseconds: timeout + configuration.lateMarginMilliseconds))
            ]
        case .duplicate:
            replies = [PlannedReply(timing: .afterRequest(milliseconds: latency()), copies: 2)]
        case .malformed:
            let anonymous = random.unit() < configuration.anonymousMalformedRatio
            let variant =
                anonymous
                ? MalformedVariant.anonymous
                : MalformedVariant.attributed[
                    Int.random(in: 0..<MalformedVariant.attributed.count, using: &random)]
            let first = latency()
            replies = [
                PlannedReply(timing: .afterRequest(milliseconds: first), malformation: variant),
                PlannedReply(timing: .afterRequest(milliseconds: min(first + latency(), timeout / 2))),
            ]
        }
        return PlannedExchange(
            index: index, correlationId: correlationId, kind: kind, fate: fate, content: content,
            replies: replies)
    }
}
