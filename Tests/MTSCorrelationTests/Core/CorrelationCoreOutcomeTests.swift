import MTSCorrelation
import Testing

/// Every outcome and the races, on the pure core with explicit times.
@Suite struct CorrelationCoreOutcomeTests {
    let t0 = Fixtures.epoch
    var core = CorrelationCore(configuration: Fixtures.configuration, now: Fixtures.epoch)

    @Test mutating func matchedByTypedReplyAndByErrorReply() throws {
        let step = try core.register(Fixtures.request("a"), now: t0)
        #expect(step.registration == .registered)
        #expect(step.effects.count == 1)
        let matched = core.receive(Fixtures.reply("a", token: 7), now: t0 + 10)
        #expect(matched.outcomes == [.matched])
        let result = try #require(matched.results.first)
        #expect(result.token == 7)
        #expect(result.request?.body == Fixtures.request("a").body)
        #expect(result.request?.ticketId == "T-1")
        #expect(result.requestTimestampUtc == t0)
        #expect(result.resolvedAt == t0 + 10)
        #expect(core.outstandingCount == 0)
        #expect(core.tombstoneCount == 1)

        _ = try core.register(Fixtures.request("b"), now: t0)
        #expect(
            core.receive(Fixtures.reply("b", contentType: "error-reply"), now: t0 + 10).outcomes == [.matched]
        )
    }

    @Test mutating func timeoutAfterTheDeadlineNotAtIt() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        #expect(core.nextWake == nil, "timeouts wait for a watermark, not for a wake-up time")
        #expect(core.advanceAll(to: t0 + 1_000).results.isEmpty)
        let step = core.advanceAll(to: t0 + 1_001)
        #expect(step.outcomes == [.timeout])
        #expect(step.results.first?.request?.correlationId == "a")
        #expect(step.results.first?.reply == nil)
    }

    @Test mutating func replyExactlyAtTheDeadlineMatches() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        #expect(core.receive(Fixtures.reply("a"), now: t0 + 1_000).outcomes == [.matched])
        #expect(core.advanceAll(to: t0 + 5_000).results.isEmpty)
    }

    @Test mutating func replyStampedOneMillisecondAfterTheDeadlineIsLateEvenBeforeTheTimerFired() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        #expect(
            core.receive(Fixtures.reply("a", at: t0 + 1_001), now: t0 + 1_001).outcomes == [.timeout, .late])
        #expect(core.advanceAll(to: t0 + 5_000).results.isEmpty)
    }

    @Test mutating func lateAfterTimeoutThenPurgedAfterRetention() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        #expect(core.advanceAll(to: t0 + 2_000).outcomes == [.timeout])
        let late = core.receive(Fixtures.reply("a", token: 3), now: t0 + 3_000)
        #expect(late.outcomes == [.late])
        #expect(late.results.first?.request?.correlationId == "a")
        #expect(late.results.first?.request?.body == [], "tombstones keep no body")
        // Retention 10 s from the timeout at t0+2000: purged at t0+12000.
        #expect(core.advanceAll(to: t0 + 11_999).effects.isEmpty)
        #expect(core.advanceAll(to: t0 + 12_000).effects == [.purgeResolved(through: t0 + 2_000)])
        #expect(core.tombstoneCount == 0)
        #expect(!core.isKnown("a"))
    }

    /// With ``CorrelationCore/purgeWaitsForRecord`` (the engine with a store), a tombstone whose
    /// record is not queued outlives its retention; the purges behind it still come on time, and
    /// it goes at the first purge after its record is marked.
    @Test mutating func aTombstoneWaitingForItsRecordIsPurgedAfterItAndTheOthersOnTime() throws {
        core.purgeWaitsForRecord = true
        _ = try core.register(Fixtures.request("a"), now: t0)
        _ = try core.register(Fixtures.request("b"), now: t0)
        #expect(core.receive(Fixtures.reply("a"), now: t0 + 10).outcomes == [.matched])
        #expect(core.receive(Fixtures.reply("b"), now: t0 + 20).outcomes == [.matched])
        core.markRecorded("b")
        // Retention 10 s: "a" is due at t0+10010 and held, "b" goes at t0+10020.
        #expect(core.advanceAll(to: t0 + 10_010).effects.isEmpty)
        #expect(core.advanceAll(to: t0 + 10_020).effects == [.purgeResolved(through: t0 + 20)])
        #expect(core.isKnown("a"))
        #expect(!core.isKnown("b"))
        core.markRecorded("a")
        // Looked at again a second after it was held.
        #expect(core.advanceAll(to: t0 + 11_009).effects.isEmpty)
        #expect(core.advanceAll(to: t0 + 11_010).effects == [.purgeResolved(through: t0 + 1_010)])
        #expect(!core.isKnown("a"))
        #expect(core.tombstoneCount == 0)
    }

    /// A timeout an earlier version's store holds resolved but unconfirmed is emitted again at
    /// recovery; until its record is queued, the store's purge (by resolution time) stops short
    /// of its row, whatever else is purged.
    @Test func theStoresPurgeStopsShortOfARecoveredTimeoutWaitingForItsRecord() throws {
        let rows = [
            PersistedRequest(
                request: Fixtures.request("old"), bodyHash: 1, deadline: t0 - 1, state: .timedOut,
                resolvedAt: t0),
            PersistedRequest(
                request: Fixtures.request("done"), bodyHash: 2, deadline: t0 - 1, state: .matched,
                resolvedAt: t0 + 100, replyHash: 3, confirmed: true),
        ]
        var (recovered, step) = try CorrelationCore.recovering(
            rows, configuration: Fixtures.configuration, now: t0 + 1_000)
        recovered.purgeWaitsForRecord = true
        #expect(step.outcomes == [.timeout])
        // Retention 10 s: "old" is due at t0+10000 and held; "done" goes at t0+10100, and the
        // store's horizon stays before "old"'s resolution, not at t0+100.
        #expect(recovered.advanceAll(to: t0 + 10_100).effects == [.purgeResolved(through: t0 - 1)])
        #expect(recovered.isKnown("old"))
        recovered.markRecorded("old")
        #expect(recovered.advanceAll(to: t0 + 11_100).effects == [.purgeResolved(through: t0 + 1_100)])
        #expect(!recovered.isKnown("old"))
    }

    @Test mutating func duplicateAfterMatchButRedeliveredSameReplyMatchesAgain() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        #expect(
            core.receive(Fixtures.reply("a", token: 1, body: "first"), now: t0 + 1).outcomes == [.matched])
        #expect(
            core.receive(Fixtures.reply("a", token: 2, body: "second"), now: t0 + 2).outcomes == [.duplicate])
        // The same reply body again without the redelivered flag: a second reply from MTS.
        #expect(
            core.receive(Fixtures.reply("a", token: 3, body: "first"), now: t0 + 3).outcomes == [.duplicate])
        // Redelivered by the broker: the same input, the same outcome.
        let again = core.receive(Fixtures.reply("a", token: 4, redelivered: true, body: "first"), now: t0 + 4)
        #expect(again.outcomes == [.matched])
        #expect(again.results.first?.redelivered == true)
        // Redelivered, but another body: still a duplicate.
        #expect(
            core.receive(Fixtures.reply("a", token: 5, redelivered: true, body: "second"), now: t0 + 5)
                .outcomes
                == [.duplicate])
    }

    @Test mutating func replyBeforeRequestWaitsThroughGraceAndMatches() throws {
        #expect(core.receive(Fixtures.reply("a", token: 9), now: t0).results.isEmpty)
        #expect(core.heldReplyCount == 1)
        #expect(core.advanceAll(to: t0 + 199).results.isEmpty)
        let step = try core.register(Fixtures.request("a"), now: t0 + 150)
        #expect(step.outcomes == [.matched])
        #expect(step.results.first?.token == 9)
        #expect(step.results.first?.replyReceivedAt == t0)
        #expect(core.heldReplyCount == 0)
        #expect(
            core.advanceAll(to: t0 + 500).results.isEmpty, "the grace timer of a matched reply is dropped")
    }

    @Test mutating func unknownReplyBecomesUnmatchedWhenGraceEnds() {
        _ = core.receive(Fixtures.reply("x"), now: t0)
        #expect(core.nextWake == nil)
        #expect(core.advanceAll(to: t0 + 200).results.isEmpty, "the grace is inclusive")
        let step = core.advanceAll(to: t0 + 201)
        #expect(step.outcomes == [.unmatched])
        #expect(step.results.first?.request == nil)
    }

    @Test mutating func twoRepliesBeforeTheRequestMatchThenDuplicate() throws {
        _ = core.receive(Fixtures.reply("a", token: 1, body: "one"), now: t0)
        _ = core.receive(Fixtures.reply("a", token: 2, body: "two"), now: t0 + 5)
        let step = try core.register(Fixtures.request("a"), now: t0 + 10)
        #expect(step.outcomes == [.matched, .duplicate])
        #expect(step.results.map(\.token) == [1, 2])
    }

    @Test mutating func heldReplyStampedAfterTheDeadlineIsLate() throws {
        // The request's deadline is t0+1000; MTS answered at t0+1500, the request came at t0+1600.
        _ = core.receive(Fixtures.reply("a", at: t0 + 1_500), now: t0 + 1_500)
        let step = try core.register(Fixtures.request("a", at: t0), now: t0 + 1_600)
        #expect(step.outcomes == [.timeout, .late])
    }

    @Test mutating func heldReplyStampedInTimeMatchesHoweverLateItsRequestComes() throws {
        _ = core.receive(Fixtures.reply("a", at: t0 + 200), now: t0 + 200)
        let step = try core.register(Fixtures.request("a", at: t0), now: t0 + 9_000)
        #expect(step.outcomes == [.matched])
    }

    @Test mutating func invalidContentTypeLeavesTheRequestOutstanding() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        let step = core.receive(Fixtures.reply("a", contentType: "cancel-reply"), now: t0 + 1)
        #expect(step.outcomes == [.invalid])
        #expect(
            step.results.first?.invalidReason
                == .contentTypeDoesNotAnswer(requestContentType: "ticket", replyContentType: "cancel-reply"))
        #expect(core.state(of: "a") == .outstanding)
        #expect(core.receive(Fixtures.reply("a"), now: t0 + 2).outcomes == [.matched])
    }

    @Test mutating func invalidOperationLeavesTheRequestOutstanding() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        let step = core.receive(Fixtures.reply("a", operation: "ticket-cancel"), now: t0 + 1)
        #expect(
            step.results.first?.invalidReason
                == .operationMismatch(requestOperation: "ticket-placement", replyOperation: "ticket-cancel"))
        #expect(core.state(of: "a") == .outstanding)
    }

    @Test mutating func rejectedMessageIsInvalidAtOnce() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        let message = RejectedMessage(correlationId: "a", body: Array("{".utf8), token: 4, reason: "not JSON")
        let step = core.receiveRejected(message, now: t0 + 1)
        #expect(step.outcomes == [.invalid])
        #expect(step.results.first?.invalidReason == .validationFailed("not JSON"))
        #expect(step.results.first?.request?.correlationId == "a")
        #expect(step.results.first?.rejected == message)
        #expect(core.state(of: "a") == .outstanding)
    }

    @Test mutating func requestAlreadyPastItsDeadlineIsDueAtOnce() throws {
        core.advanceWatermark(.replies, queue: "replies", to: t0, now: t0)
        let step = try core.register(Fixtures.request("a", at: t0 - 5_000), now: t0)
        #expect(step.registration == .registered)
        #expect(step.outcomes == [], "the timeout is left to advance, which the engine bounds")
        #expect(step.effects.count == 1, "the registration is persisted")
        #expect(try #require(core.nextWake) <= t0)
        let fired = core.advanceAll(to: t0)
        #expect(fired.outcomes == [.timeout])
        #expect(fired.results.first?.resolvedAt == t0)
        #expect(fired.results.first?.persistOnConfirm == .confirm(correlationId: "a"))
        #expect(core.outstandingCount == 0)
    }

    @Test mutating func duplicateRegistrationIsRefusedButIdenticalOneIsRecognised() throws {
        _ = try core.register(Fixtures.request("a", body: "one"), now: t0)
        let again = try core.register(Fixtures.request("a", body: "one"), now: t0 + 1)
        #expect(again.registration == .alreadyRegistered)
        #expect(again.effects.isEmpty)
        #expect(
            throws: CorrelationError.conflictingRegistration(correlationId: "a", existingState: .outstanding)
        ) {
            try core.register(Fixtures.request("a", body: "two"), now: t0 + 2)
        }
        #expect(core.outstandingCount == 1)
        // Never overwritten: the original request is the one that matches.
        let matched = core.receive(Fixtures.reply("a"), now: t0 + 3)
        #expect(matched.results.first?.request?.body == Array("one".utf8))
        // Resolved and in retention: the identical one is still recognised, another refused.
        #expect(
            try core.register(Fixtures.request("a", body: "one"), now: t0 + 4).registration
                == .alreadyRegistered)
        #expect(throws: CorrelationError.conflictingRegistration(correlationId: "a", existingState: .matched))
        {
            try core.register(Fixtures.request("a", body: "two"), now: t0 + 5)
        }
    }

    @Test mutating func timeoutsComeFromTheOperation() throws {
        for (operation, timeout) in [
            ("ticket-placement", 17_000), ("ticket-cancel", 600_000), ("ticket-cashout", 600_000),
            ("ticket-ext-settlement", 600_000), ("casino-sessions-inform", 30_000),
        ] as [(String, Int64)] {
            // A core each: watermarks never go back.
            var core = CorrelationCore(configuration: CorrelationConfiguration(), now: t0)
            _ = try core.register(Fixtures.request(operation, operation: operation), now: t0)
            #expect(core.advanceAll(to: t0 + timeout).results.isEmpty, "\(operation)")
            #expect(core.advanceAll(to: t0 + timeout + 1).outcomes == [.timeout], "\(operation)")
        }
    }

    @Test mutating func resultIdentifiersAreUniqueAndIncreasing() throws {
        _ = try core.register(Fixtures.request("a"), now: t0)
        let first = core.receive(Fixtures.reply("a"), now: t0)
        let second = core.receive(Fixtures.reply("a", token: 2, body: "other"), now: t0)
        #expect(first.results[0].id < second.results[0].id)
    }

    @Test func idsAreComparedByteForByte() throws {
        // "é" precomposed and decomposed are equal Strings but different bytes on the wire.
        var core = CorrelationCore(configuration: Fixtures.configuration, now: t0)
        _ = try core.register(Fixtures.request("caf\u{E9}"), now: t0)
        #expect(core.receive(Fixtures.reply("cafe\u{301}"), now: t0).results.isEmpty, "held, not matched")
        #expect(core.receive(Fixtures.reply("caf\u{E9}"), now: t0).outcomes == [.matched])
    }
}
