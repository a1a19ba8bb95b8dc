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
        if let known = find(reply.correlationId) {
            resolve(known, reply: reply, receivedAt: now, now: now, into: &step)
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
        var request: CorrelationRequest?
        var deadline: Int64?
        if let correlationId = message.correlationId, let known = find(correlationId) {
            switch known {
            case .outstanding(let slot):
                request = requestValue(of: slots[Int(slot)])
                deadline = slots[Int(slot)].deadline
            case .tombstone(let position):
                request = requestValue(ofTombstone: position, correlationId: correlationId)
                deadline = tombstones.deadline(at: position)
            }
        }
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: .invalid, correlationId: message.correlationId,
                request: request, deadline: deadline, reply: nil, rejected: message,
                invalidReason: .validationFailed(message.reason), resolvedAt: now,
                replyReceivedAt: now, afterRecovery: false))
    }

    /// Decides a reply for a known request. `receivedAt` is when the reply reached the engine
    /// (earlier than `now` for a held reply). Returns where the request is afterwards.
    @discardableResult
    mutating func resolve(
        _ known: KnownRequest, reply: CorrelationReply, receivedAt: Int64, now: Int64,
        into step: inout CorrelationStep
    ) -> KnownRequest {
        let kind: RequestKind
        let recovered: Bool
        switch known {
        case .outstanding(let slot):
            kind = kinds[Int(slots[Int(slot)].kind)]
            recovered = slots[Int(slot)].recovered
        case .tombstone(let position):
            kind = kinds[Int(tombstones[position].kind)]
            recovered = tombstones[position].flags.contains(.recovered)
        }
        let requestType = names[Int(kind.contentType)]
        let requestOperation = names[Int(kind.operation)]
        var reason: InvalidReason?
        if reply.operation != requestOperation {
            reason = .operationMismatch(requestOperation: requestOperation, replyOperation: reply.operation)
        } else if !Self.answers(reply.contentType, requestType: requestType) {
            reason = .contentTypeDoesNotAnswer(
                requestContentType: requestType, replyContentType: reply.contentType)
        }
        if let reason {
            let (request, deadline) =
                switch known {
                case .outstanding(let slot): (requestValue(of: slots[Int(slot)]), slots[Int(slot)].deadline)
                case .tombstone(let position):
                    (
                        requestValue(ofTombstone: position, correlationId: reply.correlationId),
                        tombstones.deadline(at: position)
                    )
                }
            step.results.append(
                CorrelationResult(
                    id: makeResultID(), outcome: .invalid, correlationId: reply.correlationId,
                    request: request, deadline: deadline, reply: reply, invalidReason: reason,
                    resolvedAt: now, replyReceivedAt: receivedAt, afterRecovery: recovered))
            return known
        }
        switch known {
        case .outstanding(let slot):
            // Event time: when MTS answered, not when the relay read the reply.
            if !isInTime(reply.timestampUtc, deadline: slots[Int(slot)].deadline) {
                let position = timeOut(slot: slot, now: now, into: &step)
                appendReplyResult(
                    .late, position: position, reply: reply, receivedAt: receivedAt, now: now, into: &step)
                return .tombstone(position)
            }
            return .tombstone(match(slot: slot, reply: reply, receivedAt: receivedAt, now: now, into: &step))
        case .tombstone(let position):
            let flags = tombstones[position].flags
            if !flags.contains(.matched) {
                appendReplyResult(
                    .late, position: position, reply: reply, receivedAt: receivedAt, now: now, into: &step)
            } else if reply.redelivered
                && Tombstone.short(BodyHash.hash(reply.body)) == tombstones[position].replyHash
            {
                // The same reply again: repeat its outcome, and its resolution in case the first
                // result was never confirmed; once its record is in the log, it only needs its
                // acknowledgement (the record is not made twice).
                let recorded = flags.contains(.recorded)
                appendReplyResult(
                    .matched, position: position, reply: reply, receivedAt: receivedAt, now: now, into: &step,
                    needsConfirm: !recorded, alreadyRecorded: recorded)
            } else {
                appendReplyResult(
                    .duplicate, position: position, reply: reply, receivedAt: receivedAt, now: now,
                    into: &step)
            }
            return known
        }
    }

    /// `error-reply` answers everything; otherwise a reply answers `X` with `X-reply`.
    static func answers(_ replyType: String, requestType: String) -> Bool {
        if replyType == "error-reply" { return true }
        return replyType.utf8.count == requestType.utf8.count + 6 && replyType.hasPrefix(requestType)
            && replyType.hasSuffix("-reply")
    }

    /// Matches an outstanding request; returns its tombstone's position.
    private mutating func match(
        slot: Int32, reply: CorrelationReply, receivedAt: Int64, now: Int64, into step: inout CorrelationStep
    ) -> Int {
        let deadline = slots[Int(slot)].deadline
        let recovered = slots[Int(slot)].recovered
        let replyHash = BodyHash.hash(reply.body)
        let (request, position) = retire(
            slot: slot, replyHash: replyHash, now: now, correlationId: reply.correlationId)
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
                afterRecovery: recovered, needsConfirm: true))
        return position
    }

    private mutating func appendReplyResult(
        _ outcome: CorrelationOutcome, position: Int, reply: CorrelationReply, receivedAt: Int64, now: Int64,
        into step: inout CorrelationStep, needsConfirm: Bool = false, alreadyRecorded: Bool = false
    ) {
        step.results.append(
            CorrelationResult(
                id: makeResultID(), outcome: outcome, correlationId: reply.correlationId,
                request: requestValue(ofTombstone: position, correlationId: reply.correlationId),
                deadline: tombstones.deadline(at: position), reply: reply, resolvedAt: now,
                replyReceivedAt: receivedAt, afterRecovery: tombstones[position].flags.contains(.recovered),
                needsConfirm: needsConfirm, alreadyRecorded: alreadyRecorded))
    }
}
