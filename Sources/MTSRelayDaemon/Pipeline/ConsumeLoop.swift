import MTSCorrelation

/// One of the daemon's consume loops (one ``ConsumerSession`` each): what its watchdog beat,
/// its readiness, its connection and its log lines are named after.
enum ConsumeLoop: String, Sendable, Hashable, CaseIterable {
    /// The requests the platform sent to MTS.
    case intake
    /// The MTS reply queues.
    case replies
    /// The jackpot ticket requests (only with a `jackpot` section).
    case jackpot

    /// The loops a configuration runs: the jackpot one only with a `jackpot` section.
    static func configured(jackpot: Bool) -> Set<ConsumeLoop> {
        jackpot ? [.intake, .replies, .jackpot] : [.intake, .replies]
    }
}
