import Foundation
import PropertyBased
import Testing

@testable import MTSCorrelation

/// A transaction's effects folded per request (``PersistenceEffect/folded(_:)``), or split
/// around a log after a refusal (``CorrelationStore/splitAroundTheLog(_:)``), leave the rows the
/// effects themselves leave: in the model store for any sequence, and in both real backends
/// for every kind of fold.
@Suite struct EffectFoldingTests {
    static let t0 = Fixtures.epoch
    static let ids = ["a", "b", "c"]

    static func row(_ id: String, body: String = "body") -> PersistedRequest {
        PersistedRequest(
            request: Fixtures.request(id, body: body), bodyHash: UInt64(body.utf8.count),
            deadline: t0 + 1_000,
            state: .outstanding)
    }

    /// One effect per code: its kind, its request, and values that differ between codes.
    static func effect(_ code: Int) -> PersistenceEffect {
        let id = ids[code % ids.count]
        let value = Int64(code / 60)
        switch code / ids.count % 8 {
        case 0, 1: return .insert(row(id, body: "body-\(value)"))
        case 2:
            return .resolve(
                correlationId: id, state: .matched, resolvedAt: t0 + value, replyHash: UInt64(code))
        case 3:
            // A decision written with its record comes resolved and confirmed.
            return .resolve(
                correlationId: id, state: .timedOut, resolvedAt: t0 + value, replyHash: nil,
                confirmed: code % 2 == 0)
        case 4, 5: return .confirm(correlationId: id)
        case 6:
            return code % 2 == 0
                ? .markSent(correlationId: id)
                : .recordAnswer(
                    correlationId: id,
                    answer: RecordedAnswer(status: 200, body: [UInt8(code % 256)], receivedAt: t0))
        default: return .purgeResolved(through: t0 + value)
        }
    }

    /// Checks `property` for any effects over a few requests, on top of any rows an earlier
    /// transaction left (outstanding, resolved, confirmed, gone).
    static func forAnyEffects(
        _ property:
            @escaping @Sendable (_ existing: [String: PersistedRequest], _ effects: [PersistenceEffect]) ->
            Void
    ) async {
        await propertyCheck(
            count: 2_000, input: Gen.int(in: 0...9_999).array(of: 0...12),
            Gen.int(in: 0...9_999).array(of: 0...30)
        ) { before, codes in
            property(ModelStore.applying(before.map(Self.effect)), codes.map(Self.effect))
        }
    }

    @Test func foldedEffectsLeaveTheRowsTheEffectsLeave() async {
        await Self.forAnyEffects { existing, effects in
            let folded = PersistenceEffect.folded(effects)
            #expect(
                ModelStore.applying(folded, to: existing) == ModelStore.applying(effects, to: existing),
                "\(effects) folded to \(folded)")
            #expect(folded.count <= effects.count)
        }
    }

    /// After a refusal beside records, the store writes some effects first and the rest with
    /// the log; each request's effects keep their order, so the rows end as the effects leave
    /// them, and nothing that says a record is durable goes first.
    @Test func theSplitAroundTheLogKeepsEachRequestsOrder() async {
        await Self.forAnyEffects { existing, effects in
            let (first, withLog) = CorrelationStore.splitAroundTheLog(effects)
            let split = ModelStore.applying(withLog, to: ModelStore.applying(first, to: existing))
            let inOrder = ModelStore.applying(effects, to: existing)
            // A purge after a moved effect is left out, so the split may delete less, never
            // more: a row it would have deleted may stay, resolved (the next purge takes it).
            for id in Set(split.keys).union(inOrder.keys) where split[id] != inOrder[id] {
                #expect(
                    inOrder[id] == nil && split[id].map { $0.state != .outstanding } == true,
                    "\(id): \(effects) split into \(first) and \(withLog)")
            }
            let early = first.filter {
                switch $0 {
                case .confirm, .resolve(_, _, _, _, confirmed: true): true
                default: false
                }
            }
            #expect(early.isEmpty, "\(early) would commit before its record")
        }
    }

    @Test func aRequestRegisteredMatchedAndRecordedInOneTransactionIsOneRow() {
        let effects: [PersistenceEffect] = [
            .insert(Self.row("a")), .insert(Self.row("b")),
            .resolve(correlationId: "a", state: .matched, resolvedAt: Self.t0 + 5, replyHash: 9),
            .resolve(correlationId: "b", state: .timedOut, resolvedAt: Self.t0 + 6, replyHash: nil),
            .confirm(correlationId: "a"),
        ]
        var a = Self.row("a")
        a.state = .matched
        a.resolvedAt = Self.t0 + 5
        a.replyHash = 9
        a.confirmed = true
        a.request.body = []
        var b = Self.row("b")
        b.state = .timedOut
        b.resolvedAt = Self.t0 + 6
        #expect(PersistenceEffect.folded(effects) == [.insert(a), .insert(b)])
    }

    @Test func aResolveTakesItsConfirmButNothingMovesPastAnotherChange() {
        let effects: [PersistenceEffect] = [
            .resolve(correlationId: "a", state: .matched, resolvedAt: Self.t0, replyHash: 1),
            .confirm(correlationId: "a"),
            .insert(Self.row("b")), .markSent(correlationId: "b"),
            .resolve(correlationId: "b", state: .matched, resolvedAt: Self.t0, replyHash: 2),
            .insert(Self.row("c")), .confirm(correlationId: "c"),  // outstanding: nothing to confirm
        ]
        #expect(
            PersistenceEffect.folded(effects) == [
                .resolve(
                    correlationId: "a", state: .matched, resolvedAt: Self.t0, replyHash: 1, confirmed: true),
                .insert(Self.row("b")), .markSent(correlationId: "b"),
                .resolve(correlationId: "b", state: .matched, resolvedAt: Self.t0, replyHash: 2),
                .insert(Self.row("c")), .confirm(correlationId: "c"),
            ])
    }

    /// Every fold the writer makes, written folded and unfolded to each real backend: the four
    /// stores and the model end with the same rows.
    @Test func bothBackendsWriteFoldedEffectsAsTheEffects() async throws {
        let answer = RecordedAnswer(status: 200, body: Array("{}".utf8), receivedAt: Self.t0 + 7)
        let earlier: [PersistenceEffect] = [
            .insert(Self.row("resolved-later")), .insert(Self.row("answered")),
            .recordAnswer(correlationId: "answered", answer: answer),
            .insert(Self.row("replaced")),
            .resolve(correlationId: "replaced", state: .timedOut, resolvedAt: Self.t0, replyHash: nil),
        ]
        let effects: [PersistenceEffect] = [
            .insert(Self.row("whole")),
            .resolve(correlationId: "whole", state: .matched, resolvedAt: Self.t0 + 1, replyHash: UInt64.max),
            .insert(Self.row("inserted-resolved")),
            .resolve(
                correlationId: "inserted-resolved", state: .timedOut, resolvedAt: Self.t0 + 2, replyHash: nil),
            .resolve(correlationId: "resolved-later", state: .matched, resolvedAt: Self.t0 + 3, replyHash: 5),
            .resolve(correlationId: "answered", state: .matched, resolvedAt: Self.t0 + 4, replyHash: 6),
            .insert(Self.row("replaced", body: "again")),
            .resolve(correlationId: "replaced", state: .matched, resolvedAt: Self.t0 + 5, replyHash: 7),
            .confirm(correlationId: "whole"), .confirm(correlationId: "resolved-later"),
            .confirm(correlationId: "answered"), .confirm(correlationId: "replaced"),
        ]
        let folded = PersistenceEffect.folded(effects)
        #expect(folded.count == 5)
        let expected = ModelStore.applying(effects, to: ModelStore.applying(earlier))
        let directory = try TemporaryDirectory()
        let groups = [TestPostgres.uniqueGroup("fold-a"), TestPostgres.uniqueGroup("fold-b")]
        let stores = try await TestPostgres.onOwnThread {
            let backends: [any StoreBackend] = [
                try SQLiteBackend(path: directory.file("unfolded.sqlite")),
                try SQLiteBackend(path: directory.file("folded.sqlite")),
                try PostgresBackend(url: TestPostgres.url, group: groups[0]),
                try PostgresBackend(url: TestPostgres.url, group: groups[1]),
            ]
            defer { for backend in backends { backend.close() } }
            for (index, backend) in backends.enumerated() {
                try backend.write(earlier, log: LogChanges(), beforeCommit: nil)
                try backend.write(index % 2 == 0 ? effects : folded, log: LogChanges(), beforeCommit: nil)
            }
            return try backends.map { backend in
                Dictionary(
                    uniqueKeysWithValues: try backend.readRows().map { ($0.request.correlationId, $0) })
            }
        }
        for (index, rows) in stores.enumerated() {
            #expect(rows == expected, "store \(index) (\(index % 2 == 0 ? "unfolded" : "folded"))")
        }
        directory.remove()
        for group in groups { await TestPostgres.drop(group: group) }
    }
}
