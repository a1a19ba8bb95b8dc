import Synchronization

/// Sends systemd's `WATCHDOG=1` from the consume loops, and only while every one of them
/// goes round.
///
/// Each configured loop (intake, replies, jackpot) calls `beat(_:)` on every turn: after each
/// batch, on each idle tick (its wait for deliveries times out every 50 ms), and about once a
/// second while it waits to reconnect. A ping goes out when it is due and every loop has beaten within the
/// last half watchdog interval; a loop stuck in its work stops beating, the pings stop, and
/// `WatchdogSec` restarts the service.
final class ConsumeLoopWatchdog: Sendable {
    typealias Part = ConsumeLoop

    private let notifier: SystemdNotifier?
    private let pingInterval: Duration
    private let freshness: Duration
    /// The loops that must all beat for a ping.
    private let parts: Set<Part>
    private let state = Mutex<(beats: [Part: ContinuousClock.Instant], lastPing: ContinuousClock.Instant?)>(
        ([:], nil))

    init(notifier: SystemdNotifier?, parts: Set<Part>) {
        self.notifier = notifier
        self.parts = parts
        pingInterval = notifier?.watchdogPingInterval ?? .seconds(1)
        freshness = notifier?.watchdogPingInterval ?? .seconds(1)
    }

    /// A standby member's beat (``LeadershipService``): it consumes nothing, so its lease loop
    /// going round is what the watchdog watches.
    func beatStandby() { beat(nil) }

    func beat(_ part: Part) { beat(Optional(part)) }

    /// Records `part`'s beat (none for a standby) and pings when due: for a consume loop, only
    /// while every loop has beaten recently.
    private func beat(_ part: Part?) {
        guard let notifier, notifier.watchdogInterval != nil else { return }
        let now = ContinuousClock.now
        let ping: Bool = state.withLock { state in
            if let part { state.beats[part] = now }
            if let last = state.lastPing, now - last < pingInterval { return false }
            if part != nil {
                let allFresh = parts.allSatisfy { part in
                    state.beats[part].map { now - $0 <= freshness } ?? false
                }
                guard allFresh else { return false }
            }
            state.lastPing = now
            return true
        }
        if ping { notifier.watchdog() }
    }
}
