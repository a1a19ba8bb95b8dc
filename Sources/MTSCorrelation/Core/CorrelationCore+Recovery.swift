// Rebuilding the core from the store after a restart.
extension CorrelationCore {
    /// Rebuilds a core from the store's rows at `now`.
    ///
    /// - Outstanding requests are scheduled as new ones are: they time out once the reply
    ///   watermark passes their deadline. Both watermarks start unknown, so replies that waited
    ///   in the broker while the relay was down are read (and matched by their own timestamps)
    ///   before anything times out.
    /// - Tombstones still in retention are kept; expired ones are dropped, with `purge` effects.
    /// - A timeout that was decided but not confirmed before the crash is emitted again (same
    ///   decision, ``CorrelationResult/afterRecovery`` set), in the returned step.
    ///
    /// A matched tombstone that was not confirmed keeps its request body, so that the broker's
    /// redelivery of the matching reply yields a complete `matched` result again. (With the
    /// store, ``CorrelationEngine`` writes a decision confirmed, with its record: unconfirmed
    /// tombstones come from stores an earlier version wrote, or from a bare core's user.)
    public static func recovering(
        _ rows: some Sequence<PersistedRequest>, configuration: CorrelationConfiguration, now: Int64
    ) throws(CorrelationError) -> (core: CorrelationCore, step: CorrelationStep) {
        var core = CorrelationCore(configuration: configuration, now: now)
        var step = CorrelationStep()
        var purges: [PurgeTimer] = []
        for row in rows {
            switch row.state {
            case .outstanding:
                let slot = try core.insertSlot(row, recovered: true)
                core.timers.insert(slot: slot, fireAt: core.fireTime(ofDeadline: row.deadline))
            case .matched, .timedOut:
                let resolvedAt = row.resolvedAt ?? now
                let purgeAt = resolvedAt.addingReportingOverflow(configuration.retention).partialValue
                if row.state == .timedOut && !row.confirmed {
                    step.results.append(
                        CorrelationResult(
                            id: core.makeResultID(), outcome: .timeout,
                            correlationId: row.request.correlationId,
                            request: row.request, deadline: row.deadline, reply: nil, resolvedAt: resolvedAt,
                            replyReceivedAt: nil,
                            afterRecovery: true,
                            needsConfirm: true))
                }
                if purgeAt <= now {
                    step.effects.append(.purge(correlationId: row.request.correlationId))
                    continue
                }
                let slot = try core.insertSlot(row, recovered: true)
                if row.state == .timedOut { core.slots[Int(slot)].dropBody() }
                // The timeout emitted again above waits for its record as a new one does.
                core.slots[Int(slot)].awaitingRecord = row.state == .timedOut && !row.confirmed
                purges.append(PurgeTimer(fireAt: purgeAt, slot: slot))
            }
        }
        // The purge queue is kept in time order; the store's rows come in key order.
        core.purges.append(contentsOf: purges.sorted { $0.fireAt < $1.fireAt })
        return (core, step)
    }
}
