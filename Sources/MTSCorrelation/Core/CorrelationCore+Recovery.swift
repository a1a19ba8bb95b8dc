// Rebuilding the core from the store after a restart.
extension CorrelationCore {
    /// Rebuilds a core from the store's rows at `now`.
    ///
    /// - Outstanding requests whose deadline falls before `now + startupGrace` are held back:
    ///   they time out no earlier than the end of the startup grace, or than
    ///   ``replyBacklogDrained(now:)``, whichever comes first, so replies already waiting in the
    ///   broker get their chance. Later deadlines are scheduled as usual.
    /// - Tombstones still in retention are kept; expired ones are dropped, with `purge` effects.
    ///
    /// Results of this core are flagged ``CorrelationResult/afterRecovery`` for recovered requests.
    public static func recovering(
        _ rows: some Sequence<PersistedRequest>, configuration: CorrelationConfiguration, now: Int64
    ) throws(CorrelationError) -> (core: CorrelationCore, effects: [PersistenceEffect]) {
        var core = CorrelationCore(configuration: configuration, now: now)
        var effects: [PersistenceEffect] = []
        let graceEnd = now.addingReportingOverflow(configuration.startupGrace).partialValue
        for row in rows {
            switch row.state {
            case .outstanding:
                let slot = try core.insertSlot(row, recovered: true)
                let fireAt = core.fireTime(ofDeadline: row.deadline)
                if fireAt < graceEnd {
                    core.deferredRecovered.append(slot)
                } else {
                    core.timers.insert(slot: slot, fireAt: fireAt)
                }
            case .matched, .timedOut:
                let purgeAt = (row.resolvedAt ?? now).addingReportingOverflow(configuration.retention)
                    .partialValue
                if purgeAt <= now {
                    effects.append(.purge(correlationId: row.request.correlationId))
                    continue
                }
                let slot = try core.insertSlot(row, recovered: true)
                core.timers.insert(slot: slot, fireAt: purgeAt)
            }
        }
        if !core.deferredRecovered.isEmpty { core.startupGraceEndsAt = graceEnd }
        return (core, effects)
    }
}
