// Time passing: timeouts, tombstone purges, unmatched-grace expiries, the end of the startup grace.
extension CorrelationCore {
    /// Fires every timer due at `now`, at most `limit` of them, in time order: timeouts
    /// (`now > deadline`), tombstone purges (`now >= resolvedAt + retention`) and held replies
    /// whose grace ended (`unmatched`). Call again while ``nextWake`` <= `now`
    /// to continue a batch cut short by `limit`.
    ///
    /// - Parameters:
    ///   - limit: the most timers that make results (timeouts, unmatched).
    ///   - purgeLimit: the most tombstone purges, which make no result (default: `limit`).
    public mutating func advance(to now: Int64, limit: Int = .max, purgeLimit: Int? = nil) -> CorrelationStep
    {
        var step = CorrelationStep()
        if let graceEnd = startupGraceEndsAt, now >= graceEnd {
            endStartupGrace()
        }
        var purgeBudget = purgeLimit ?? limit
        while purgeBudget > 0, let purge = purges.first, purge.fireAt <= now {
            purges.removeFirst()
            purgeBudget -= 1
            if recordsEffects {
                step.effects.append(.purge(correlationId: slots[Int(purge.slot)].correlationId))
            }
            freeSlot(purge.slot)
        }
        var budget = limit
        while budget > 0 {
            let requestTimer = timers.first.flatMap { $0.fireAt <= now ? $0 : nil }
            let heldTimer =
                intakeCaughtUpAt == nil ? nil : heldTimers.first.flatMap { $0.expiresAt <= now ? $0 : nil }
            if let requestTimer, heldTimer.map({ requestTimer.fireAt <= $0.expiresAt }) ?? true {
                budget -= 1
                fireRequestTimer(slot: requestTimer.slot, now: now, into: &step)
            } else if heldTimer != nil {
                if expireHeldReply(now: now, into: &step) { budget -= 1 }
            } else {
                break
            }
        }
        return step
    }

    private mutating func fireRequestTimer(slot: Int32, now: Int64, into step: inout CorrelationStep) {
        switch slots[Int(slot)].state {
        case .outstanding:
            timeOut(slot: slot, now: now, into: &step)
        case .matched, .timedOut, .free:
            preconditionFailure("only outstanding requests have deadline timers")
        }
    }

    /// Pops the earliest held-reply timer; returns whether it emitted `unmatched` (a stale timer
    /// is dropped, one pushed back by a late catch-up is rescheduled).
    private mutating func expireHeldReply(now: Int64, into step: inout CorrelationStep) -> Bool {
        guard let caughtUpAt = intakeCaughtUpAt, let timer = heldTimers.popFirst() else { return false }
        guard var replies = held[timer.idBytes],
            let position = replies.firstIndex(where: { $0.sequence == timer.sequence })
        else { return false }
        let heldReply = replies[position]
        let expiresAt = max(heldReply.receivedAt, caughtUpAt) + configuration.unmatchedGrace
        if expiresAt > now {
            var later = timer
            later.expiresAt = expiresAt
            heldTimers.insert(later)
            return false
        }
        replies.remove(at: position)
        held[timer.idBytes] = replies.isEmpty ? nil : replies
        heldReplyCount -= 1
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: .unmatched, correlationId: heldReply.reply.correlationId,
                request: nil, reply: heldReply.reply, resolvedAt: now, replyReceivedAt: heldReply.receivedAt,
                afterRecovery: false))
        return true
    }

    /// Times a request out now: a `timeout` result, and a tombstone kept for retention.
    mutating func timeOut(slot: Int32, now: Int64, into step: inout CorrelationStep) {
        let recovered = slots[Int(slot)].recovered
        let request = takeRequest(slot: slot)
        timers.remove(slot: slot)
        slots[Int(slot)].state = .timedOut
        slots[Int(slot)].resolvedAt = now
        outstandingCount -= 1
        tombstoneCount += 1
        schedulePurge(slot: slot, resolvedAt: now)
        if recordsEffects {
            step.effects.append(
                .resolve(
                    correlationId: request.correlationId, state: .timedOut, resolvedAt: now, replyHash: nil))
        }
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: .timeout, correlationId: request.correlationId, request: request,
                reply: nil, resolvedAt: now, replyReceivedAt: nil, afterRecovery: recovered,
                needsConfirm: true))
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

    /// Whether a tombstone purge is due at `now` (purges make no results, so they need no room
    /// in the engine's result buffer).
    func purgeIsDue(at now: Int64) -> Bool {
        purges.first.map { $0.fireAt <= now } ?? false
    }

    /// Keeps a resolved request as a tombstone until its retention ends.
    mutating func schedulePurge(slot: Int32, resolvedAt: Int64) {
        purges.append(
            PurgeTimer(
                fireAt: resolvedAt.addingReportingOverflow(configuration.retention).partialValue, slot: slot))
    }
}

/// When a tombstone's retention ends.
struct PurgeTimer: Sendable {
    var fireAt: Int64
    var slot: Int32
}
