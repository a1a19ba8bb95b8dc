// Time passing: timeouts and unmatched-grace expiries (event time), tombstone purges (relay clock).
extension CorrelationCore {
    /// Fires every timer that is due, at most `limit` of them: timeouts (the reply watermark
    /// passed the deadline plus the clock-skew tolerance) and held replies whose grace ended
    /// (`unmatched`: the intake watermark passed their timestamp plus the grace), in event-time
    /// order, and tombstone purges (`now >= resolvedAt + retention`). Call again while
    /// ``nextWake`` <= `now` to continue a batch cut short by `limit`.
    ///
    /// - Parameters:
    ///   - limit: the most timers that make results (timeouts, unmatched).
    ///   - purgeLimit: the most tombstone purges, which make no result (default: `limit`).
    public mutating func advance(to now: Int64, limit: Int = .max, purgeLimit: Int? = nil) -> CorrelationStep
    {
        var step = CorrelationStep()
        var purgeBudget = purgeLimit ?? limit
        while purgeBudget > 0, let purge = purges.first, purge.fireAt <= now {
            purges.removeFirst()
            purgeBudget -= 1
            if purgeWaitsForRecord && slots[Int(purge.slot)].awaitingRecord {
                // Behind every purge queued, so that the queue stays in time order.
                let again = max(
                    now.addingReportingOverflow(Self.purgeRecheckMs).partialValue, purges.last?.fireAt ?? .min
                )
                purges.append(PurgeTimer(fireAt: again, slot: purge.slot))
                continue
            }
            if recordsEffects {
                step.effects.append(.purge(correlationId: slots[Int(purge.slot)].correlationId))
            }
            freeSlot(purge.slot)
        }
        var budget = limit
        let replyMark = replyWatermarks.combined ?? .min
        let intakeMark = intakeWatermarks.combined ?? .min
        while budget > 0 {
            let requestTimer = timers.first.flatMap { $0.fireAt <= replyMark ? $0 : nil }
            let heldTimer = heldTimers.first.flatMap { $0.expiresAt <= intakeMark ? $0 : nil }
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

    /// Pops the earliest held-reply timer; returns whether it emitted `unmatched` (a timer
    /// whose reply was resolved meanwhile is dropped).
    private mutating func expireHeldReply(now: Int64, into step: inout CorrelationStep) -> Bool {
        guard let timer = heldTimers.popFirst() else { return false }
        guard var replies = held[timer.idBytes],
            let position = replies.firstIndex(where: { $0.sequence == timer.sequence })
        else { return false }
        let heldReply = replies[position]
        replies.remove(at: position)
        held[timer.idBytes] = replies.isEmpty ? nil : replies
        heldReplyCount -= 1
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: .unmatched, correlationId: heldReply.reply.correlationId,
                request: nil, deadline: nil, reply: heldReply.reply, resolvedAt: now,
                replyReceivedAt: heldReply.receivedAt, afterRecovery: false))
        return true
    }

    /// Times a request out now: a `timeout` result, and a tombstone kept for retention.
    mutating func timeOut(slot: Int32, now: Int64, into step: inout CorrelationStep) {
        let recovered = slots[Int(slot)].recovered
        let deadline = slots[Int(slot)].deadline
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
                deadline: deadline, reply: nil, resolvedAt: now, replyReceivedAt: nil,
                afterRecovery: recovered,
                needsConfirm: true))
    }

    /// How long a tombstone held for its record waits before the purge looks at it again, at
    /// the least (``purgeWaitsForRecord``).
    static let purgeRecheckMs: Int64 = 1000

    /// Whether a tombstone purge is due at `now` (purges make no results, so they need no room
    /// in the engine's result buffer).
    func purgeIsDue(at now: Int64) -> Bool {
        purges.first.map { $0.fireAt <= now } ?? false
    }

    /// Keeps a resolved request as a tombstone until its retention ends, and until the record of
    /// the result just decided is queued (``purgeWaitsForRecord``).
    mutating func schedulePurge(slot: Int32, resolvedAt: Int64) {
        slots[Int(slot)].awaitingRecord = true
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
