import Testing

@testable import MTSCorrelation

/// The in-memory tail of a log: what it serves, when it sends a reader to the store, and that a
/// waiting reader is woken by an append, by ``ResultLogTail/wakeAll()`` and by cancellation.
@Suite struct ResultLogTailTests {
    static func entries(_ seqs: ClosedRange<Int64>, bytes: Int = 10) -> [ResultLogEntry] {
        seqs.map {
            ResultLogEntry(
                seq: $0, appendedAt: $0, outcome: "matched", operation: nil, correlationId: "id-\($0)",
                json: [UInt8](repeating: UInt8(ascii: "x"), count: bytes))
        }
    }

    static func seqs(_ read: ResultLogTail.Read) -> [Int64]? {
        if case .entries(let entries) = read { return entries.map(\.seq) }
        return nil
    }

    @Test func servesWhatFollowsACursorAndSendsOlderCursorsToTheStore() {
        // The store held 10 entries at open: the tail covers what comes after them.
        let tail = ResultLogTail(lastSeq: 10)
        #expect(Self.isCaughtUp(tail.read(after: 10, max: 5)))
        #expect(Self.isBehind(tail.read(after: 9, max: 5)), "entry 10 is only in the store")
        tail.append(Self.entries(11...20))
        #expect(Self.seqs(tail.read(after: 10, max: 3)) == [11, 12, 13])
        #expect(Self.seqs(tail.read(after: 17, max: 10)) == [18, 19, 20])
        #expect(Self.isCaughtUp(tail.read(after: 20, max: 10)))
        #expect(tail.lastSeq == 20)
    }

    @Test func gapsInTheNumberingAreServedInOrder() {
        let tail = ResultLogTail(lastSeq: 0)
        tail.append(Self.entries(1...3) + Self.entries(7...8))
        #expect(Self.seqs(tail.read(after: 3, max: 10)) == [7, 8])
        #expect(Self.seqs(tail.read(after: 5, max: 10)) == [7, 8])
    }

    @Test func pastItsByteLimitItDropsItsOldestAndSendsTheirReadersToTheStore() {
        let tail = ResultLogTail(lastSeq: 0, byteLimit: 100)
        tail.append(Self.entries(1...20, bytes: 10))
        // 100 bytes: the newest 10 entries stay.
        #expect(Self.seqs(tail.read(after: 10, max: 100)) == Array(11...20))
        #expect(Self.isBehind(tail.read(after: 9, max: 100)))
    }

    @Test func aWaitingReaderIsWokenByAnAppendAWakeAllOrCancellation() async {
        let tail = ResultLogTail(lastSeq: 0)
        async let appended: Void = tail.wait(after: 0)
        tail.append(Self.entries(1...1))
        await appended
        async let woken: Void = tail.wait(after: 1)
        // The waiter may not be registered yet: wake until it returns.
        let waking = Task {
            while !Task.isCancelled {
                tail.wakeAll()
                await Task.yield()
            }
        }
        await woken
        waking.cancel()
        let cancelled = Task { await tail.wait(after: 1) }
        cancelled.cancel()
        await cancelled.value
        // Already past: returns at once.
        await tail.wait(after: 0)
    }

    static func isCaughtUp(_ read: ResultLogTail.Read) -> Bool {
        if case .caughtUp = read { return true }
        return false
    }

    static func isBehind(_ read: ResultLogTail.Read) -> Bool {
        if case .behind = read { return true }
        return false
    }
}

/// Where a replay starts, and what it refuses.
@Suite struct ReplayPointTests {
    let oldest: (seq: Int64, appendedAt: Int64) = (100, 1_800_000_000_000)

    @Test func aSeqOrATimeWithinTheLogIsWhereTheReplayStarts() throws {
        #expect(
            try ResultLogReplay.startingSeq(
                of: .seq(150), oldest: oldest, lastSeq: 200, firstAtOrAfter: { _ in nil })
                == 150)
        #expect(
            try ResultLogReplay.startingSeq(
                of: .time(oldest.appendedAt + 5), oldest: oldest, lastSeq: 200, firstAtOrAfter: { _ in 120 })
                == 120)
    }

    @Test func aPointOlderThanTheLogIsRefusedNamingTheOldestAvailable() {
        for point in [ReplayPoint.seq(99), .time(oldest.appendedAt - 1)] {
            #expect {
                try ResultLogReplay.startingSeq(
                    of: point, oldest: oldest, lastSeq: 200, firstAtOrAfter: { _ in 100 })
            } throws: { error in
                (error as? ReplayRefusal)?.reason.contains(
                    "the oldest available is seq 100, appended 2027-01-15T08:00:00.000Z")
                    == true
            }
        }
        #expect(throws: ReplayRefusal.self) {
            try ResultLogReplay.startingSeq(
                of: .seq(201), oldest: oldest, lastSeq: 200, firstAtOrAfter: { _ in nil })
        }
        #expect(throws: ReplayRefusal.self) {
            try ResultLogReplay.startingSeq(
                of: .seq(1), oldest: nil, lastSeq: 0, firstAtOrAfter: { _ in nil })
        }
    }
}

/// What a draft keeps for the log's text columns.
@Suite struct ResultLogDraftTests {
    @Test func aNULInTheTextColumnsBecomesAReplacementCharacterAndTheRecordKeepsIt() {
        let json = Array(#"{"correlationId":"a\u0000b"}"#.utf8)
        let draft = ResultLogDraft(
            outcome: "invalid", operation: "x\u{0}", correlationId: "a\u{0}b", json: json)
        #expect(draft.correlationId == "a\u{FFFD}b")
        #expect(draft.operation == "x\u{FFFD}")
        #expect(draft.json == json)
        let plain = ResultLogDraft(outcome: "matched", operation: "ticket", correlationId: "c-1", json: [])
        #expect(plain.correlationId == "c-1" && plain.operation == "ticket")
    }
}
