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
        var purged = false
        while purgeBudget > 0, let first = tombstones.first, first.purgeAt <= now {
            purgeBudget -= 1
            if purgeWaitsForRecord && first.flags.contains(.awaitingRecord) {
                // Behind every tombstone, so that the queue stays in purge order.
                let again = max(
                    now.addingReportingOverflow(Self.purgeRecheckMs).partialValue,
                    tombstones.lastPurgeAt ?? .min)
                tombstones.requeueFirst(purgeAt: again)
                continue
            }
            let tombstone = tombstones.removeFirst()
            if !unrecordedBodies.isEmpty { unrecordedBodies[tombstone.idHash] = nil }
            if !resolvedAwaitingRecord.isEmpty { resolvedAwaitingRecord[tombstone.idHash] = nil }
            purged = true
        }
        if purged && recordsEffects {
            step.effects.append(.purgeResolved(through: purgeHorizon(at: now)))
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
        precondition(slots[Int(slot)].isOutstanding, "only outstanding requests have deadline timers")
        timeOut(slot: slot, now: now, into: &step)
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

    /// Times a request out now: a `timeout` result, and a tombstone kept for retention, whose
    /// position it returns.
    @discardableResult
    mutating func timeOut(slot: Int32, now: Int64, into step: inout CorrelationStep) -> Int {
        let recovered = slots[Int(slot)].recovered
        let deadline = slots[Int(slot)].deadline
        let (request, position) = retire(slot: slot, replyHash: nil, now: now)
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
        return position
    }

    /// How long a tombstone held for its record waits before the purge looks at it again, at
    /// the least (``purgeWaitsForRecord``).
    static let purgeRecheckMs: Int64 = 1000

    /// Whether a tombstone purge is due at `now` (purges make no results, so they need no room
    /// in the engine's result buffer).
    func purgeIsDue(at now: Int64) -> Bool {
        tombstones.first.map { $0.purgeAt <= now } ?? false
    }

    /// The store's rows resolved at or before this instant are past their retention at `now`,
    /// and none of them waits for its record (``resolvedAwaitingRecord``).
    func purgeHorizon(at now: Int64) -> Int64 {
        let horizon = now.subtractingReportingOverflow(configuration.retention).partialValue
        guard let oldest = resolvedAwaitingRecord.values.min() else { return horizon }
        return min(horizon, oldest.subtractingReportingOverflow(1).partialValue)
    }
}
