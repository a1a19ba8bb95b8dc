// Replies: matching, late, duplicate, invalid, and holding unknown ones.
extension CorrelationCore {
    /// Receives a well-formed reply, read at `now`. Its own `timestampUtc` (when MTS answered)
    /// decides, not `now`.
    ///
    /// - Known request, content type or operation not answering it: `invalid` now; the request
    ///   stays as it was.
    /// - Outstanding request, reply stamped at or before the deadline plus the clock-skew
    ///   tolerance: `matched`, however late it is read. A reply stamped before its request (the
    ///   two clocks disagree) is in time too.
    /// - Outstanding request, reply stamped later: `timeout`, then `late`.
    /// - Timed-out tombstone: `late`. Matched tombstone: `duplicate`, except a redelivered reply whose
    ///   body equals the one that matched, which is `matched` again (the same input, repeated).
    /// - Unknown id: held, no result yet; decided when its request is registered, or `unmatched`
    ///   once the intake watermark passes `min(timestampUtc, now) + unmatchedGrace` (a reply
    ///   stamped in the future counts from when it was read, so it cannot be held forever).
    public mutating func receive(_ reply: CorrelationReply, now: Int64) -> CorrelationStep {
        var step = CorrelationStep()
        receive(reply, now: now, into: &step)
        return step
    }

    /// As ``receive(_:now:)``, appending to `step` (for batches).
    public mutating func receive(_ reply: CorrelationReply, now: Int64, into step: inout CorrelationStep) {
        if let slot = lookup(reply.correlationId) {
            resolve(slot: slot, reply: reply, receivedAt: now, now: now, into: &step)
            return
        }
        let idBytes = Array(reply.correlationId.utf8)
        heldSequence += 1
        held[idBytes, default: []].append(HeldReply(sequence: heldSequence, reply: reply, receivedAt: now))
        heldReplyCount += 1
        let stamped = min(reply.timestampUtc, now).addingReportingOverflow(configuration.unmatchedGrace)
        let expiresAt =
            stamped.overflow || stamped.partialValue == .max ? Int64.max : stamped.partialValue + 1
        heldTimers.insert(HeldTimer(expiresAt: expiresAt, sequence: heldSequence, idBytes: idBytes))
    }

    /// Receives a message the daemon found invalid: always one `invalid` result, now.
    public mutating func receiveRejected(_ message: RejectedMessage, now: Int64) -> CorrelationStep {
        var step = CorrelationStep()
        receiveRejected(message, now: now, into: &step)
        return step
    }

    /// As ``receiveRejected(_:now:)``, appending to `step` (for batches).
    public mutating func receiveRejected(
        _ message: RejectedMessage, now: Int64, into step: inout CorrelationStep
    ) {
        let slot = message.correlationId.flatMap { lookup($0) }
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: .invalid, correlationId: message.correlationId,
                request: slot.map { requestValue(of: slots[Int($0)]) },
                deadline: slot.map { slots[Int($0)].deadline },
                reply: nil, rejected: message, invalidReason: .validationFailed(message.reason),
                resolvedAt: now,
                replyReceivedAt: now, afterRecovery: false))
    }

    /// Decides a reply for a known slot. `receivedAt` is when the reply reached the engine
    /// (earlier than `now` for a held reply).
    mutating func resolve(
        slot: Int32, reply: CorrelationReply, receivedAt: Int64, now: Int64, into step: inout CorrelationStep
    ) {
        // Scalars only: a copy of the slot would share its buffer and make the hand-over of
        // the body in match/timeOut copy it.
        let (state, deadline, recovered, replyHash) = (
            slots[Int(slot)].state, slots[Int(slot)].deadline, slots[Int(slot)].recovered,
            slots[Int(slot)].replyHash
        )
        let requestType = names[Int(slots[Int(slot)].contentType)]
        let requestOperation = names[Int(slots[Int(slot)].operation)]
        var reason: InvalidReason?
        if reply.operation != requestOperation {
            reason = .operationMismatch(requestOperation: requestOperation, replyOperation: reply.operation)
        } else if !Self.answers(reply.contentType, requestType: requestType) {
            reason = .contentTypeDoesNotAnswer(
                requestContentType: requestType, replyContentType: reply.contentType)
        }
        if let reason {
            step.results.append(
                CorrelationResult(
                    id: makeResultID(), outcome: .invalid, correlationId: reply.correlationId,
                    request: requestValue(of: slots[Int(slot)]), deadline: deadline, reply: reply,
                    invalidReason: reason,
                    resolvedAt: now, replyReceivedAt: receivedAt, afterRecovery: recovered))
            return
        }
        switch state {
        case .outstanding:
            // Event time: when MTS answered, not when the relay read the reply.
            if !isInTime(reply.timestampUtc, deadline: deadline) {
                timeOut(slot: slot, now: now, into: &step)
                appendReplyResult(
                    .late, slot: slot, reply: reply, receivedAt: receivedAt, now: now, into: &step)
            } else {
                match(slot: slot, reply: reply, receivedAt: receivedAt, now: now, into: &step)
            }
        case .matched:
            if reply.redelivered && BodyHash.hash(reply.body) == replyHash {
                // The same reply again: repeat its outcome, and its resolution in case the first
                // result was never confirmed; once its record is in the log, it only needs its
                // acknowledgement (the record is not made twice).
                let recorded = slots[Int(slot)].recorded
                appendReplyResult(
                    .matched, slot: slot, reply: reply, receivedAt: receivedAt, now: now, into: &step,
                    needsConfirm: !recorded, alreadyRecorded: recorded)
            } else {
                appendReplyResult(
                    .duplicate, slot: slot, reply: reply, receivedAt: receivedAt, now: now, into: &step)
            }
        case .timedOut:
            appendReplyResult(.late, slot: slot, reply: reply, receivedAt: receivedAt, now: now, into: &step)
        case .free:
            preconditionFailure("a looked-up slot is never free")
        }
    }

    /// `error-reply` answers everything; otherwise a reply answers `X` with `X-reply`.
    static func answers(_ replyType: String, requestType: String) -> Bool {
        if replyType == "error-reply" { return true }
        return replyType.utf8.count == requestType.utf8.count + 6 && replyType.hasPrefix(requestType)
            && replyType.hasSuffix("-reply")
    }

    private mutating func match(
        slot: Int32, reply: CorrelationReply, receivedAt: Int64, now: Int64, into step: inout CorrelationStep
    ) {
        let deadline = slots[Int(slot)].deadline
        let request = takeRequest(slot: slot, correlationId: reply.correlationId)
        let replyHash = BodyHash.hash(reply.body)
        timers.remove(slot: slot)
        slots[Int(slot)].state = .matched
        slots[Int(slot)].replyHash = replyHash
        slots[Int(slot)].resolvedAt = now
        outstandingCount -= 1
        tombstoneCount += 1
        schedulePurge(slot: slot, resolvedAt: now)
        if recordsEffects {
            step.effects.append(
                .resolve(
                    correlationId: reply.correlationId, state: .matched, resolvedAt: now, replyHash: replyHash
                ))
        }
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: .matched, correlationId: reply.correlationId, request: request,
                deadline: deadline, reply: reply, resolvedAt: now, replyReceivedAt: receivedAt,
                afterRecovery: slots[Int(slot)].recovered,
                needsConfirm: true))
    }

    private mutating func appendReplyResult(
        _ outcome: CorrelationOutcome, slot: Int32, reply: CorrelationReply, receivedAt: Int64, now: Int64,
        into step: inout CorrelationStep, needsConfirm: Bool = false, alreadyRecorded: Bool = false
    ) {
        let record = slots[Int(slot)]
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: outcome, correlationId: reply.correlationId,
                request: requestValue(of: record), deadline: record.deadline, reply: reply, resolvedAt: now,
                replyReceivedAt: receivedAt,
                afterRecovery: record.recovered, needsConfirm: needsConfirm, alreadyRecorded: alreadyRecorded)
        )
    }
}
