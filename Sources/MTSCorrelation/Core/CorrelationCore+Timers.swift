// Time passing: timeouts, tombstone purges, unmatched-grace expiries, the end of the startup grace.
extension CorrelationCore {
    /// Fires every timer due at `now`, at most `limit` results' worth (purges count too), in
    /// deadline order: timeouts (`now > deadline`), tombstone purges (`now >= resolvedAt + retention`),
    /// then held replies whose grace ended (`unmatched`). Call again while ``nextWake`` <= `now`
    /// to continue a batch cut short by `limit`.
    public mutating func advance(to now: Int64, limit: Int = .max) -> CorrelationStep {
        var step = CorrelationStep()
        if let graceEnd = startupGraceEndsAt, now >= graceEnd {
            endStartupGrace()
        }
        var budget = limit
        while budget > 0, let first = timers.first, first.fireAt <= now {
            budget -= 1
            let slot = first.slot
            switch slots[Int(slot)].state {
            case .outstanding:
                timeOut(slot: slot, now: now, into: &step)
            case .matched, .timedOut:
                let correlationId = slots[Int(slot)].correlationId
                freeSlot(slot)
                step.effects.append(.purge(correlationId: correlationId))
            case .free:
                preconditionFailure("a free slot is never scheduled")
            }
        }
        if let caughtUpAt = intakeCaughtUpAt {
            while budget > 0, let first = heldTimers.first, first.expiresAt <= now {
                let timer = heldTimers.popFirst()!
                guard var replies = held[timer.idBytes],
                    let position = replies.firstIndex(where: { $0.sequence == timer.sequence })
                else { continue }
                let heldReply = replies[position]
                let expiresAt = max(heldReply.receivedAt, caughtUpAt) + configuration.unmatchedGrace
                if expiresAt > now {
                    var later = timer
                    later.expiresAt = expiresAt
                    heldTimers.insert(later)
                    continue
                }
                budget -= 1
                replies.remove(at: position)
                held[timer.idBytes] = replies.isEmpty ? nil : replies
                heldReplyCount -= 1
                step.results.append(
                    CorrelationResult(
                        id: makeResultID(), outcome: .unmatched, correlationId: heldReply.reply.correlationId,
                        request: nil, reply: heldReply.reply, resolvedAt: now,
                        replyReceivedAt: heldReply.receivedAt,
                        afterRecovery: false))
            }
        }
        return step
    }

    /// Times a request out now: a `timeout` result, and a tombstone kept for retention.
    mutating func timeOut(slot: Int32, now: Int64, into step: inout CorrelationStep) {
        let record = slots[Int(slot)]
        let request = requestValue(of: record)
        timers.remove(slot: slot)
        slots[Int(slot)].state = .timedOut
        slots[Int(slot)].resolvedAt = now
        slots[Int(slot)].dropBody()
        outstandingCount -= 1
        tombstoneCount += 1
        timers.insert(slot: slot, fireAt: now.addingReportingOverflow(configuration.retention).partialValue)
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: .timeout, correlationId: request.correlationId, request: request,
                reply: nil, resolvedAt: now, replyReceivedAt: nil, afterRecovery: record.recovered,
                persistOnConfirm: .resolve(
                    correlationId: request.correlationId, state: .timedOut, resolvedAt: now, replyHash: nil)))
    }

    /// Schedules the recovered requests held back by the startup grace at their own deadlines
    /// (already past ones fire at the next advance).
    mutating func endStartupGrace() {
        startupGraceEndsAt = nil
        for slot in deferredRecovered
        where slots[Int(slot)].state == .outstanding && slots[Int(slot)].recovered
            && !timers.contains(slot: slot)
        {
            timers.insert(slot: slot, fireAt: fireTime(ofDeadline: slots[Int(slot)].deadline))
        }
        deferredRecovered = []
    }
}
