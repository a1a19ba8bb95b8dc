/// The share of correlation ids that get each fate other than `normal` (the rest).
public struct FateRatios: Sendable, Hashable {
    public var drop = 0.0
    public var late = 0.0
    public var duplicate = 0.0
    public var unsolicited = 0.0
    public var malformed = 0.0
    public var replyFirst = 0.0

    /// Ratios with these values; check them with ``validate()``.
    public init(
        drop: Double = 0, late: Double = 0, duplicate: Double = 0, unsolicited: Double = 0,
        malformed: Double = 0, replyFirst: Double = 0
    ) {
        self.drop = drop
        self.late = late
        self.duplicate = duplicate
        self.unsolicited = unsolicited
        self.malformed = malformed
        self.replyFirst = replyFirst
    }

    /// The ratio of each fate but `normal`, with its option name.
    var entries: [(fate: Fate, option: String, ratio: Double)] {
        [
            (.drop, "--drop", drop), (.late, "--late", late), (.duplicate, "--duplicate", duplicate),
            (.unsolicited, "--unsolicited", unsolicited), (.malformed, "--malformed", malformed),
            (.replyFirst, "--reply-first", replyFirst),
        ]
    }

    /// The share of `fate`; `normal` gets what the others leave.
    public func ratio(of fate: Fate) -> Double {
        fate == .normal
            ? max(0, 1 - entries.reduce(0) { $0 + $1.ratio }) : entries.first { $0.fate == fate }!.ratio
    }

    /// Throws when a ratio is outside 0...1 or they add up to more than 1.
    public func validate() throws(SimulationOptionError) {
        for (_, option, ratio) in entries where !(0...1).contains(ratio) {
            throw SimulationOptionError("\(option): \(ratio) is not a ratio between 0 and 1")
        }
        let total = entries.reduce(0) { $0 + $1.ratio }
        guard total <= 1 + 1e-9 else {
            throw SimulationOptionError(
                "--drop, --late, --duplicate, --unsolicited, --malformed and --reply-first add up to \(total), more than 1"
            )
        }
    }

    /// One fate, drawn by ratio.
    public func pick(using random: inout SimulationRandom) -> Fate {
        var draw = random.unit()
        for (fate, _, ratio) in entries {
            if draw < ratio { return fate }
            draw -= ratio
        }
        return .normal
    }
}
