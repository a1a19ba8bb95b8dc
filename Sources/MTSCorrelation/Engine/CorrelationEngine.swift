/// The correlation engine: owns a ``CorrelationCore`` (the decisions), an optional durable
/// ``CorrelationStore`` and one ordered stream of results.
///
/// ## How the daemon drives it
/// - Intake: `try await submit(contentsOf: requests)` for each batch of request messages (one
///   actor turn; replies match them from then on), and `durable(_:)` of the submitted batches
///   before their intake messages are acked: the next batch is submitted while one commits, and
///   group commit gathers them (`register(contentsOf:)` does both in one call). When the table
///   holds ``CorrelationConfiguration/capacity`` outstanding requests, submitting suspends
///   (backpressure).
/// - Replies: `receive(contentsOf: messages, watermark:)` for each batch of reply deliveries.
///   Results arrive on ``results``, now or later (a reply for an unknown id waits for its
///   request until the intake watermark passes its timestamp plus the unmatched grace).
/// - Event time: each consumer reports its queue's watermark with its batches, or with
///   ``advanceWatermark(_:queue:to:)`` when idle. Timeouts and `unmatched` fire in the actor
///   turn that moves a watermark past them (see ``CorrelationCore`` for the rule).
/// - Time: `run()` as a service; it fires tombstone purges from the injected clock, and the
///   timeouts a full result buffer held back, and returns when its task is cancelled. It makes
///   only as many results as ``results`` has room for (see ``CorrelationResults``).
/// - Records: take batches from ``results``, append their records to ``log`` with
///   `appendToLog(drafts, confirming: ids)` (one transaction with the confirms), and ack the
///   replies' deliveries once ``ResultLog/waitDurable()`` returns. Sinks read ``log``.
///
/// Each call is one actor turn, so the batch forms are the fast ones: the single-message forms
/// (`register(_:)`, `receive(_:)`, `receiveRejected(_:)`) cost an actor hop per message.
///
/// ## At-least-once: durable decisions, confirmed results
/// The store holds outstanding requests and the tombstones of resolved ones.
/// - A registration is written before ``register(_:)`` returns.
/// - With the store on, a decision (`matched`, `timeout`) goes out on ``results`` at once and is
///   written with its record: ``appendToLog(_:confirming:)`` (or ``confirm(_:)``) writes the
///   request resolved and confirmed, in one change of its row, in the record's transaction.
///   Nothing outside sees a result before its record commits (sinks read committed records,
///   deliveries are acknowledged after that commit), so a result is never taken back, and a
///   restart never decides a request differently from what a sink may already have seen. A
///   reply thus waits for one commit. (A tombstone is not purged before its record is queued,
///   ``CorrelationCore/purgeWaitsForRecord``: the record, with its decision, reaches the store
///   before the purge, however late it comes.)
///
/// After a crash before a result's record committed, its request is outstanding again:
/// - a `timeout` is made again once the reply queue's watermark passes the deadline, flagged
///   ``CorrelationResult/afterRecovery``;
/// - the reply behind a `matched` result was never acked, so the broker redelivers it and it
///   matches again (with the full request). After a crash between the record's commit and the
///   ack, the redelivered reply hits the matched tombstone and yields `matched` flagged
///   ``CorrelationResult/alreadyRecorded``: acknowledge it, its record is in the log already;
/// - a tombstone recovered unconfirmed (a store an earlier version wrote, which committed
///   decisions before their records) keeps its request body, and a `timeout` one is emitted
///   again at startup;
/// - `late`, `duplicate`, `unmatched` and `invalid` persist nothing: the redelivered reply yields
///   the same outcome again. Replies waiting in their unmatched grace are not stored either: they
///   are unacked deliveries, which the broker redelivers.
///
/// A crash inside a batch loses only decisions whose records were not committed; their replies
/// were not acknowledged, and they are made again after the restart.
///
/// ## Startup and backlog
/// After a start both watermarks are unknown, so nothing times out and nothing is declared
/// `unmatched` before each queue's consumer has caught up or read past a deadline. Recovered
/// requests follow the same rule as new ones: replies that waited in the broker while the
/// relay was down match by their own timestamps.
public actor CorrelationEngine {
    /// Every result, in the order decided, in a bounded buffer. Consume it from one task.
    public nonisolated let results: CorrelationResults
    /// The settings the engine runs with.
    public nonisolated let configuration: CorrelationConfiguration
    /// The durable log of result records the sinks read (see ``appendToLog(_:confirming:)``).
    public nonisolated let log: ResultLog

    private var core: CorrelationCore
    private let clock: any CorrelationClock
    private let store: CorrelationStore?
    /// What each result needing a record writes with it (store on only): its decision, resolved
    /// and confirmed in one change, or a confirm when the store holds the decision already.
    private var unconfirmed: [CorrelationResult.ID: PersistenceEffect] = [:]
    private let capacityWaiters = CapacityWaiters()
    private var nextWaiterID: UInt64 = 0

    /// Creates an engine with the store in memory or in a SQLite file. Opening the file blocks
    /// the calling thread briefly; ``init(configuration:clock:store:)`` does not.
    ///
    /// - Parameters:
    ///   - configuration: timeouts, retention, graces, capacity.
    ///   - clock: the source of time; ``SystemCorrelationClock`` in production.
    ///   - storePath: the SQLite file (created if absent; its directory must exist), or nil to
    ///     keep everything in memory. An existing file is recovered: outstanding requests and
    ///     tombstones come back.
    /// - Throws: ``CorrelationStoreError`` naming the path when the directory is missing or the
    ///   file is not a valid database.
    public init(
        configuration: CorrelationConfiguration = CorrelationConfiguration(),
        clock: any CorrelationClock = SystemCorrelationClock(), storePath: String? = nil
    ) throws {
        let results = CorrelationResults(capacity: configuration.resultCapacity)
        let location = storePath.map { StoreLocation.sqlite(path: $0) } ?? .memory
        let load = TableLoad(configuration: configuration, now: clock.now())
        let store = try location.makeBackend().map { makeBackend throws(CorrelationStoreError) in
            try CorrelationStore.openBlocking(
                location: location.description, makeBackend: makeBackend, rows: load.add)
        }
        try self.init(configuration: configuration, clock: clock, results: results, store: store, load: load)
    }

    /// Creates an engine with its store at `store`: in memory, a SQLite file, or a PostgreSQL
    /// database shared by several relays (rows scoped by the group). The database is opened and
    /// its rows read on the store's own thread; the caller only suspends.
    ///
    /// - Parameters:
    ///   - configuration: timeouts, retention, graces, capacity.
    ///   - clock: the source of time; ``SystemCorrelationClock`` in production.
    ///   - store: where the pending table is kept. An existing store is recovered: outstanding
    ///     requests and tombstones (of the group) come back. PostgreSQL's schema is created or
    ///     migrated at open, idempotently.
    ///   - fence: with PostgreSQL, the lease epoch every write must carry (see ``StoreFence``);
    ///     nil writes without a lease.
    /// - Throws: ``CorrelationStoreError`` naming the database (a PostgreSQL URL without its
    ///   password) and what failed.
    public init(
        configuration: CorrelationConfiguration = CorrelationConfiguration(),
        clock: any CorrelationClock = SystemCorrelationClock(), store location: StoreLocation,
        fence: StoreFence? = nil
    ) async throws {
        let results = CorrelationResults(capacity: configuration.resultCapacity)
        let load = TableLoad(configuration: configuration, now: clock.now())
        var store: CorrelationStore?
        if let makeBackend = location.makeBackend(fence: fence) {
            store = try await CorrelationStore.open(
                location: location.description, makeBackend: makeBackend, rows: load.add)
        }
        try self.init(configuration: configuration, clock: clock, results: results, store: store, load: load)
    }

    /// Takes the core rebuilt from an open store's rows (or starts empty without one).
    private init(
        configuration: CorrelationConfiguration, clock: any CorrelationClock, results: CorrelationResults,
        store: CorrelationStore?, load: TableLoad
    ) throws {
        self.configuration = configuration
        self.clock = clock
        self.results = results
        log = ResultLog(store: store)
        let now = clock.now()
        if let store {
            let recovered: (core: CorrelationCore, step: CorrelationStep)
            do {
                recovered = try load.finish()
                recoveredRequests = load.upstreamRows
            } catch {
                store.beginClose()
                throw error
            }
            var unconfirmed: [CorrelationResult.ID: PersistenceEffect] = [:]
            store.enqueue(Self.deferDecisions(of: recovered.step, unconfirmed: &unconfirmed))
            self.unconfirmed = unconfirmed
            results.append(recovered.step.results)
            self.store = store
            core = recovered.core
            core.purgeWaitsForRecord = true
        } else {
            self.store = nil
            recoveredRequests = []
            core = CorrelationCore(configuration: configuration, now: now, recordsEffects: false)
        }
    }

    deinit {
        results.finish()
        store?.beginClose()
    }

    // MARK: Inputs

    /// Registers a request; returns once it is durable (store on). One actor hop per request:
    /// prefer ``register(contentsOf:)`` for more than one.
    ///
    /// Suspends while ``CorrelationConfiguration/capacity`` requests are outstanding, and
    /// resumes in arrival order as requests resolve; cancelling the task ends the wait with
    /// `CancellationError`. A known id is answered without waiting.
    ///
    /// - Returns: ``RegistrationStatus/registered``, or ``RegistrationStatus/alreadyRegistered``
    ///   for a redelivered intake message (same id, same body); ack it either way.
    /// - Throws: ``CorrelationError/conflictingRegistration(correlationId:existingState:)`` for a
    ///   known id with another body (the existing request is kept);
    ///   ``CorrelationError/storeFailed(_:)`` when the store cannot write.
    @discardableResult
    public func register(_ request: CorrelationRequest) async throws -> RegistrationStatus {
        try await register(contentsOf: [request])[0].get()
    }

    /// Registers requests in order, in one actor turn unless the table fills up; returns once
    /// all of them are durable (store on), with one outcome per request, in order. The same as
    /// ``durable(_:)`` of ``submit(contentsOf:)``.
    ///
    /// At ``CorrelationConfiguration/capacity`` it emits what the batch decided so far and
    /// suspends until requests resolve (backpressure), as ``register(_:)`` does.
    ///
    /// - Returns: per request, ``RegistrationStatus/registered`` or
    ///   ``RegistrationStatus/alreadyRegistered`` (ack the message either way), or the error that
    ///   refused it (``CorrelationError/conflictingRegistration(correlationId:existingState:)``,
    ///   ``CorrelationError/fieldTooLong(field:length:)``...).
    /// - Throws: ``CorrelationError/storeFailed(_:)`` when the store cannot write, and
    ///   `CancellationError` when cancelled while waiting for capacity. Either way none of the
    ///   batch counts as registered for the caller: it keeps the messages unacknowledged, and a
    ///   redelivered one that did get registered is answered ``RegistrationStatus/alreadyRegistered``.
    public func register(
        contentsOf requests: [CorrelationRequest]
    ) async throws -> [Result<RegistrationStatus, CorrelationError>] {
        try await durable([submit(contentsOf: requests)])[0]
    }

    /// Registers requests in order, in one actor turn unless the table fills up, and returns
    /// without waiting for their commit: from now on replies match them. Pass the value to
    /// ``durable(_:)`` before acknowledging the messages; a pipelined caller reads and submits
    /// its next batch meanwhile, and group commit gathers them.
    ///
    /// Suspends at ``CorrelationConfiguration/capacity`` as ``register(contentsOf:)`` does.
    /// - Throws: ``CorrelationError/storeFailed(_:)`` when the store has failed, and
    ///   `CancellationError` when cancelled while waiting for capacity.
    public func submit(contentsOf requests: [CorrelationRequest]) async throws -> SubmittedRegistrations {
        try checkStore()
        var outcomes: [Result<RegistrationStatus, CorrelationError>] = []
        outcomes.reserveCapacity(requests.count)
        var step = CorrelationStep()
        var now = clock.now()
        for request in requests {
            // A request the table cannot hold is refused now, not after waiting for room.
            do throws(CorrelationError) {
                try CorrelationCore.checkFieldLengths(request)
            } catch {
                outcomes.append(.failure(error))
                continue
            }
            if core.outstandingCount >= configuration.capacity, !core.isKnown(request.correlationId) {
                apply(step)
                step = CorrelationStep()
                while core.outstandingCount >= configuration.capacity, !core.isKnown(request.correlationId) {
                    try await waitForCapacity()
                }
                now = clock.now()
            }
            do {
                outcomes.append(.success(try core.register(request, now: now, into: &step)))
            } catch {
                outcomes.append(.failure(error))
            }
        }
        apply(step)
        // Requests already past their deadline are due now: time them out in this turn.
        fireDueTimers(now: now, limit: configuration.timerBatchLimit)
        return SubmittedRegistrations(
            outcomes: outcomes, correlationIds: requests.map(\.correlationId))
    }

    /// Returns once the submitted registrations are durable (store on), with their outcomes:
    /// a request whose values the database refused is a failure
    /// (``CorrelationError/storeRefused(correlationId:reason:)``) and is forgotten. One wait for
    /// all of `submitted`.
    /// - Throws: ``CorrelationError/storeFailed(_:)`` when the store cannot write: none of them
    ///   counts as registered for the caller.
    public func durable(
        _ submitted: [SubmittedRegistrations]
    ) async throws -> [[Result<RegistrationStatus, CorrelationError>]] {
        guard let store else { return submitted.map(\.outcomes) }
        // Also for .alreadyRegistered: the first registration may still be in the open batch.
        try await store.waitDurable()
        return submitted.map { batch in
            // A request whose values the database refused was left out of the commit: it is
            // this request's failure (dead-lettered by the caller), not the store's.
            var outcomes = batch.outcomes
            let refused = store.takeRefused(batch.correlationIds)
            guard !refused.isEmpty else { return outcomes }
            for (index, id) in batch.correlationIds.enumerated() {
                guard case .success = outcomes[index], let reason = refused[id] else { continue }
                outcomes[index] = .failure(.storeRefused(correlationId: id, reason: reason))
                _ = core.forgetRefused(id)
            }
            return outcomes
        }
    }

    /// Receives a well-formed reply; its result is emitted on ``results`` now or, for an
    /// unknown correlation id, after the unmatched grace at the latest. One actor hop per reply:
    /// prefer ``receive(contentsOf:)`` for more than one.
    public func receive(_ reply: CorrelationReply) {
        apply(core.receive(reply, now: clock.now()))
    }

    /// Receives a message the daemon found invalid: one `invalid` result, now.
    public func receiveRejected(_ message: RejectedMessage) {
        apply(core.receiveRejected(message, now: clock.now()))
    }

    /// Receives reply-queue messages in order, in one actor turn: each yields its result(s) as
    /// ``receive(_:)`` or ``receiveRejected(_:)`` would. Then, when given, moves the queue's
    /// watermark (after the replies: they were read before it was measured) and fires what
    /// that made due.
    public func receive(
        contentsOf messages: [IncomingReply], watermark: (queue: String, value: Int64)? = nil
    ) {
        let now = clock.now()
        var step = CorrelationStep()
        for message in messages {
            switch message {
            case .wellFormed(let reply): core.receive(reply, now: now, into: &step)
            case .rejected(let rejected): core.receiveRejected(rejected, now: now, into: &step)
            }
        }
        apply(step)
        if let watermark {
            advanceWatermark(.replies, queue: watermark.queue, to: watermark.value)
        }
    }

    /// Records that these results' records are durable (without a log of results: that the
    /// sinks accepted them); returns when that is committed.
    ///
    /// Ack the replies' deliveries after it returns. A confirmed `timeout` is not emitted again
    /// after a restart. Unknown and already-confirmed ids are ignored; results that persist
    /// nothing (`late`, `duplicate`, `unmatched`, `invalid`) need no confirm but may be passed.
    public func confirm(_ ids: [CorrelationResult.ID]) async throws {
        guard let store else { return }
        try checkStore()
        let effects = takeConfirms(ids)
        guard !effects.isEmpty else { return }
        store.enqueue(effects)
        try await store.waitDurable()
    }

    /// Appends records to the log and confirms the results they record, in one transaction;
    /// does not wait for it (``ResultLog/waitDurable()`` does). Acknowledge the messages behind
    /// the results once it is durable: from then on the records are the sinks' business, and
    /// a confirmed result is not made again after a restart.
    public func appendToLog(_ drafts: [ResultLogDraft], confirming ids: [CorrelationResult.ID]) throws {
        guard let store else {
            log.appendInMemory(drafts, at: clock.now())
            return
        }
        try checkStore()
        let effects = takeConfirms(ids)
        store.enqueue(effects, append: drafts)
    }

    /// What those of `ids` not confirmed yet write with their records; their tombstones count
    /// as recorded.
    private func takeConfirms(_ ids: [CorrelationResult.ID]) -> [PersistenceEffect] {
        var effects: [PersistenceEffect] = []
        for id in ids {
            guard let effect = unconfirmed.removeValue(forKey: id) else { continue }
            effects.append(effect)
            if let correlationId = effect.correlationId { core.markRecorded(correlationId) }
        }
        return effects
    }

    /// The step's effects to queue now. A decision whose result needs a record (`matched`,
    /// `timeout`) is not among them: it waits in `unconfirmed`, resolved and confirmed, and is
    /// written with that record (``appendToLog(_:confirming:)``), one change of the row where
    /// a resolve now and a confirm later were two. Nothing outside sees a result before its
    /// record commits, so the decision is as durable as before where it matters: a crash before
    /// that commit loses both, and the request is decided again, as when the crash came before
    /// the decision's own commit. The core does not purge a tombstone before its record is
    /// queued (``CorrelationCore/purgeWaitsForRecord``), so no purge overtakes a decision here.
    private static func deferDecisions(
        of step: CorrelationStep, unconfirmed: inout [CorrelationResult.ID: PersistenceEffect]
    ) -> [PersistenceEffect] {
        // The core appends a decision's resolve and its result in the same order; results that
        // confirm a decision made earlier (a redelivered match, a recovered tombstone) have no
        // resolve in the step and are passed over.
        var needing = step.results.lazy.filter { $0.persistOnConfirm != nil }.makeIterator()
        var now: [PersistenceEffect] = []
        now.reserveCapacity(step.effects.count)
        for effect in step.effects {
            switch effect {
            case .resolve(let id, let state, let resolvedAt, let replyHash, _):
                var deferred = false
                while !deferred, let result = needing.next() {
                    if result.correlationId == id {
                        unconfirmed[result.id] = .resolve(
                            correlationId: id, state: state, resolvedAt: resolvedAt, replyHash: replyHash,
                            confirmed: true)
                        deferred = true
                    } else {
                        unconfirmed[result.id] = result.persistOnConfirm
                    }
                }
                if deferred { continue }
            default:
                break
            }
            now.append(effect)
        }
        while let result = needing.next() { unconfirmed[result.id] = result.persistOnConfirm }
        return now
    }

    // MARK: Active upstreams

    /// Records durably that these requests are about to be sent to an active upstream (one the
    /// relay calls itself, e.g. the jackpot Bet Engine); returns once that is committed. Send
    /// nothing before it returns: a request marked sent is never sent again, and after a crash
    /// it is listed by ``recoveredRequests`` with ``PersistedRequest/sent`` set.
    ///
    /// Without a store it returns at once.
    public func markSent(_ correlationIds: [String]) async throws {
        guard let store, !correlationIds.isEmpty else { return }
        try checkStore()
        store.enqueue(correlationIds.map { .markSent(correlationId: $0) })
        try await store.waitDurable()
    }

    /// Receives an active upstream's answer to a request as `reply`, and keeps `answer` in the
    /// store (in the transaction of the decision or an earlier one) until the result is
    /// confirmed: after a crash before the confirm, ``recoveredRequests`` lists it with its
    /// answer, to be received again as a redelivered reply.
    public func receive(_ reply: CorrelationReply, answer: RecordedAnswer) {
        store?.enqueue([.recordAnswer(correlationId: reply.correlationId, answer: answer)])
        receive(reply)
    }

    /// What an active upstream's side needs after a restart: the requests found outstanding in
    /// the store (with their ``PersistedRequest/sent`` flag and any recorded answer; a request
    /// whose decision's record never committed is outstanding again, with its answer), and the
    /// matched ones whose result was not confirmed (an earlier version's store). Empty without
    /// a store.
    public nonisolated let recoveredRequests: [PersistedRequest]

    // MARK: Watermarks

    /// Moves `queue`'s watermark (clamped to the engine's clock, never backwards) and fires
    /// the timeouts or `unmatched` results it made due, as many as ``results`` has room for;
    /// ``run()`` fires the rest as room frees up. Returns the number of results it made.
    @discardableResult
    public func advanceWatermark(_ source: WatermarkSource, queue: String, to value: Int64) -> Int {
        let now = clock.now()
        guard core.advanceWatermark(source, queue: queue, to: value, now: now) else { return 0 }
        return fireDueTimers(now: now, limit: configuration.timerBatchLimit)
    }

    /// Every queue's watermark, by source and queue name, nil while unknown.
    public var watermarks: [(source: WatermarkSource, queue: String, watermark: Int64?)] {
        let replies = core.replyWatermarks.marks.map { (WatermarkSource.replies, $0.key, $0.value) }
        let intake = core.intakeWatermarks.marks.map { (WatermarkSource.intake, $0.key, $0.value) }
        return (replies + intake).sorted { ($0.0.rawValue, $0.1) < ($1.0.rawValue, $1.1) }
    }

    // MARK: Time

    /// Fires the timers due at the clock's current time, as many as ``results`` has room for;
    /// returns the number of results. ``run()`` does this on its own; tests with a
    /// ``ManualCorrelationClock`` call it directly.
    @discardableResult
    public func processDueTimers() -> Int {
        fireDueTimers(now: clock.now(), limit: .max)
    }

    /// The timer loop, for a service: fires due timers (purges by the clock; timeouts and
    /// `unmatched` a watermark made due but the result buffer had no room for), then sleeps
    /// until the next purge (at most ``CorrelationConfiguration/timerResolution``). Emits at most
    /// ``CorrelationConfiguration/timerBatchLimit`` results per actor turn so that a burst of
    /// timeouts does not starve registrations, and no more than ``results`` has room for: when
    /// it is full, the loop waits for the consumer. Returns when its task is cancelled.
    ///
    /// - Throws: ``CorrelationError/storeFailed(_:)`` once the store has failed.
    public func run() async throws {
        while !Task.isCancelled {
            try checkStore()
            let now = clock.now()
            fireDueTimers(now: now, limit: configuration.timerBatchLimit)
            if let wake = core.nextWake, wake <= now {
                if core.purgeIsDue(at: now) {
                    // Purges need no room: go on after letting other callers in.
                    await Task.yield()
                } else {
                    // More is due: let other callers in, and wait until the consumer has made
                    // room for a good batch (half the buffer). Firing into whatever little room
                    // there is would hand results over a few at a time, a thread wake-up each.
                    await results.waitForRoom()
                    // After shutdown there is never room: stop rather than spin.
                    if results.isFinished { return }
                }
                continue
            }
            let target = min(core.nextWake ?? .max, now + configuration.timerResolution)
            do {
                try await clock.sleep(untilMilliseconds: target)
            } catch {
                return
            }
        }
    }

    /// Finishes ``results``, fails waiting registrations and closes the store (committing what
    /// is queued). The engine must not be used afterwards.
    public func shutdown() async {
        results.finish()
        capacityWaiters.failAll(CancellationError())
        await store?.close()
    }

    // MARK: Figures

    /// Requests waiting for a reply.
    public var outstandingCount: Int { core.outstandingCount }
    /// Resolved requests kept for retention.
    public var tombstoneCount: Int { core.tombstoneCount }
    /// The `timestampUtc` of the oldest outstanding request, or nil.
    public var oldestOutstandingTimestamp: Int64? { core.oldestOutstandingTimestamp() }
    /// Replies waiting through their unmatched grace.
    public var heldReplyCount: Int { core.heldReplyCount }
    /// Results whose resolution waits for ``confirm(_:)``.
    public var unconfirmedCount: Int { unconfirmed.count }
    /// Registrations suspended by backpressure.
    public var waitingRegistrationCount: Int { capacityWaiters.count }
    /// The store's batch figures, when the store is on.
    public var storeStatistics: CorrelationStoreStatistics? { store?.currentStatistics }
    /// As ``storeStatistics``; the longest recent transaction is the longest since the previous
    /// call (one reader: the metrics line).
    public func takeStoreStatistics() -> CorrelationStoreStatistics? { store?.takeStatistics() }

    // MARK: Internals

    /// Fires due timers, at most `limit` and never more than ``results`` has room for.
    @discardableResult
    private func fireDueTimers(now: Int64, limit: Int) -> Int {
        var emitted = 0
        repeat {
            // Purges make no results: they go on when the buffer is full.
            let budget = min(limit - emitted, results.room)
            let step = core.advance(to: now, limit: budget, purgeLimit: limit)
            emitted += step.results.count
            apply(step)
            // Without a limit, go on until nothing is due (or no room is left).
            if limit != .max || budget == 0 { break }
        } while (core.nextWake ?? .max) <= now
        return emitted
    }

    private func apply(_ step: CorrelationStep) {
        if let store {
            store.enqueue(Self.deferDecisions(of: step, unconfirmed: &unconfirmed))
        }
        results.append(step.results)
        let free = configuration.capacity - core.outstandingCount
        if free > 0 { capacityWaiters.resume(upTo: free) }
    }

    private func checkStore() throws {
        if let failure = store?.currentFailure { throw CorrelationError.storeFailed(failure) }
    }

    private func waitForCapacity() async throws {
        nextWaiterID += 1
        let id = nextWaiterID
        let waiters = capacityWaiters
        // Both closures below run synchronously on this actor before it suspends, so a waiter is
        // registered before any later actor turn can free capacity; no wake-up is lost.
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<Void, any Error>) in
                waiters.add(id: id, continuation)
            }
        } onCancel: {
            waiters.cancel(id: id)
        }
    }
}
