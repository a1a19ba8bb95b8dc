import Dispatch
import Foundation
import Synchronization

/// The durable side of the pending table: one writer thread that commits queued effects in
/// batched transactions (group commit) through a ``StoreBackend`` (SQLite or PostgreSQL), in
/// the order queued: a decision commits in the same transaction as its result's record or in an
/// earlier one.
///
/// ## Threading
/// Writes never run on Swift's cooperative pool or on a NIO event loop: callers enqueue effects
/// (a lock and an append) and, when they need durability, await a barrier that the writer
/// thread resumes after the transaction holding everything enqueued before it has committed.
/// Whatever accumulates while one transaction commits goes into the next one. The backend is
/// opened, used and closed on the writer thread alone, and may block it (PostgreSQL's
/// `EventLoopFuture.wait()`): that thread is the store's own and waits for nothing else.
final class CorrelationStore: @unchecked Sendable {
    // @unchecked Sendable: `backend` is touched only by the writer thread (it opens it, writes
    // through it and closes it); `recoveredLogState`, `tail` and `nextSeq` are set by the writer
    // thread before the opener is told the store is open (a semaphore or a continuation: a
    // happens-before edge); every other stored var is guarded by `condition`.

    /// The database, for messages: the SQLite path, or the PostgreSQL URL without its password.
    let location: String

    private var backend: (any StoreBackend)?
    /// ``StoreTestHooks/beforeCommit`` as it was when the store opened (nil in production).
    private let beforeCommit: (@Sendable () -> Void)?

    private enum Job {
        case effect(PersistenceEffect)
        case barrier(CheckedContinuation<Void, any Error>)
        case append([ResultLogDraft])
        case moveCursor(SinkCursor)
        case purgeLog(throughSeq: Int64, before: Int64)
        case readLog(after: Int64, limit: Int, CheckedContinuation<[ResultLogEntry], any Error>)
        case readLogState(CheckedContinuation<ResultLogState, any Error>)
    }

    private let condition = NSCondition()
    private var pending: [Job] = []
    /// Cursor moves waiting to ride with the next transaction, by sink, since `deferredSince`.
    private var deferredCursors: [String: SinkCursor] = [:]
    private var deferredSince = DispatchTime.now()
    /// The longest a cursor move waits for company: what a kill -9 may repeat, at most, on top
    /// of the batch a sink was delivering.
    static let cursorDelay = DispatchTimeInterval.milliseconds(5)
    private var failure: CorrelationStoreError?
    private var closing = false
    private var writerFinished = false
    /// Callers of ``close()`` waiting for the writer thread to finish.
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private var statistics = CorrelationStoreStatistics()
    /// Correlation ids whose insert the database refused (a data error), with its reason, until
    /// the registration that made them takes them.
    private var refused: [String: String] = [:]

    /// The log of results as found at open.
    private(set) var recoveredLogState = ResultLogState()
    /// The log's newest entries; set (like ``recoveredLogState``) before the opener is told.
    private(set) var tail = ResultLogTail(lastSeq: 0)
    /// The next entry's position; the writer thread's alone.
    private var nextSeq: Int64 = 1

    private init(location: String) {
        self.location = location
        beforeCommit = StoreTestHooks.beforeCommit
    }

    /// Opens a store on a new writer thread, which runs `makeBackend` and reads the rows, handing
    /// each to `rows` (on that thread, before `opened`); calls `opened` (on that thread) with the
    /// store or the failure.
    private static func start(
        location: String,
        makeBackend: @escaping @Sendable () throws(CorrelationStoreError) -> any StoreBackend,
        rows: @escaping @Sendable (PersistedRequest) -> Void,
        opened: @escaping @Sendable (Result<CorrelationStore, CorrelationStoreError>) -> Void
    ) {
        let store = CorrelationStore(location: location)
        let thread = Thread {
            do throws(CorrelationStoreError) {
                let backend = try makeBackend()
                do throws(CorrelationStoreError) {
                    try backend.readRows(rows)
                    store.recoveredLogState = try backend.readLogState()
                    store.tail = ResultLogTail(lastSeq: store.recoveredLogState.lastSeq)
                    store.nextSeq = store.recoveredLogState.lastSeq + 1
                } catch {
                    backend.close()
                    throw error
                }
                store.backend = backend
            } catch {
                store.finishWriter()
                opened(.failure(error))
                return
            }
            opened(.success(store))
            store.writerLoop()
        }
        thread.name = "mts-correlation-store"
        thread.start()
    }

    /// Opens the store, blocking the calling thread until the writer thread has opened the
    /// database and handed its rows to `rows` (the SQLite engine initialiser, which is
    /// synchronous).
    static func openBlocking(
        location: String,
        makeBackend: @escaping @Sendable () throws(CorrelationStoreError) -> any StoreBackend,
        rows: @escaping @Sendable (PersistedRequest) -> Void
    ) throws(CorrelationStoreError) -> CorrelationStore {
        let outcome = Mutex<Result<CorrelationStore, CorrelationStoreError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        start(location: location, makeBackend: makeBackend, rows: rows) {
            result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// Opens the store; suspends (blocking no thread of the caller's) until the writer thread
    /// has opened the database and handed its rows to `rows`.
    static func open(
        location: String,
        makeBackend: @escaping @Sendable () throws(CorrelationStoreError) -> any StoreBackend,
        rows: @escaping @Sendable (PersistedRequest) -> Void
    ) async throws(CorrelationStoreError) -> CorrelationStore {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<CorrelationStore, CorrelationStoreError>, Never>) in
            start(location: location, makeBackend: makeBackend, rows: rows) {
                continuation.resume(returning: $0)
            }
        }
        return try result.get()
    }

    // MARK: Enqueueing (any thread)

    /// Queues effects for the next transaction. Does not wait.
    func enqueue(_ effects: [PersistenceEffect]) {
        enqueue(effects, append: [])
    }

    /// Queues records to append to the log in the next transaction, with `effects` (the
    /// confirms of the results they record), so both commit together. Does not wait.
    func enqueue(_ effects: [PersistenceEffect], append drafts: [ResultLogDraft]) {
        guard !effects.isEmpty || !drafts.isEmpty else { return }
        condition.lock()
        for effect in effects { pending.append(.effect(effect)) }
        if !drafts.isEmpty { pending.append(.append(drafts)) }
        condition.signal()
        condition.unlock()
    }

    /// Queues a move of a sink's cursor (made only at its generation). Does not wait, and does
    /// not wake the writer: the move rides with the next transaction, or commits alone after
    /// ``cursorDelay`` (a sink moves its cursor after every batch it delivers; alone, each move
    /// would be a commit and an fsync of its own). A later move of the same sink replaces it.
    func enqueue(cursor: SinkCursor) {
        condition.lock()
        if deferredCursors.isEmpty {
            deferredSince = DispatchTime.now()
            // A writer waiting for work must now also wait for the delay.
            condition.signal()
        }
        deferredCursors[cursor.sink] = cursor
        condition.unlock()
    }

    /// Queues the purge of the log's entries up to `throughSeq` appended before `before`.
    func enqueuePurgeLog(throughSeq: Int64, before: Int64) {
        enqueueJob(.purgeLog(throughSeq: throughSeq, before: before))
    }

    /// Up to `limit` entries after `seq`, read by the writer thread after the transaction under
    /// way.
    func readLog(after seq: Int64, limit: Int) async throws -> [ResultLogEntry] {
        try await withCheckedThrowingContinuation { continuation in
            enqueueOrFail(.readLog(after: seq, limit: limit, continuation)) {
                continuation.resume(throwing: $0)
            }
        }
    }

    /// The log's last position, oldest entry and cursors, as committed.
    func readLogState() async throws -> ResultLogState {
        try await withCheckedThrowingContinuation { continuation in
            enqueueOrFail(.readLogState(continuation)) { continuation.resume(throwing: $0) }
        }
    }

    private func enqueueJob(_ job: Job) {
        condition.lock()
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Queues `job`, or calls `fail` when the store has failed or is closing.
    private func enqueueOrFail(_ job: Job, fail: (any Error) -> Void) {
        condition.lock()
        if let failure {
            condition.unlock()
            return fail(CorrelationError.storeFailed(failure))
        }
        if closing {
            condition.unlock()
            return fail(CorrelationError.storeFailed(.closed(path: location)))
        }
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Returns once everything enqueued before the call is committed.
    func waitDurable() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if let failure {
                condition.unlock()
                continuation.resume(throwing: CorrelationError.storeFailed(failure))
                return
            }
            if closing {
                condition.unlock()
                continuation.resume(throwing: CorrelationError.storeFailed(.closed(path: location)))
                return
            }
            pending.append(.barrier(continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Removes and returns those of `ids` whose insert the database refused, with the reason.
    func takeRefused(_ ids: some Sequence<String>) -> [String: String] {
        condition.lock()
        defer { condition.unlock() }
        guard !refused.isEmpty else { return [:] }
        var taken: [String: String] = [:]
        for id in ids {
            if let reason = refused.removeValue(forKey: id) { taken[id] = reason }
        }
        return taken
    }

    /// The failure that stopped the store, if any.
    var currentFailure: CorrelationStoreError? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Batch figures since open.
    var currentStatistics: CorrelationStoreStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    /// The figures, and a new start for the longest recent transaction.
    func takeStatistics() -> CorrelationStoreStatistics {
        condition.lock()
        defer {
            statistics.longestRecentTransactionNanoseconds = 0
            condition.unlock()
        }
        return statistics
    }

    /// Commits what is queued, stops the writer thread and closes the database; returns once
    /// done (at most one transaction's time), suspending, never blocking the caller's thread.
    /// Safe to call more than once.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            closing = true
            condition.broadcast()
            if writerFinished {
                condition.unlock()
                continuation.resume()
                return
            }
            closeWaiters.append(continuation)
            condition.unlock()
        }
    }

    /// Asks the writer thread to commit what is queued and stop, without waiting (for a
    /// `deinit`, or a failed open, that cannot wait).
    func beginClose() {
        condition.lock()
        closing = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: The writer thread

    private func finishWriter() {
        condition.lock()
        writerFinished = true
        let waiters = closeWaiters
        closeWaiters = []
        condition.broadcast()
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    /// Writes `effects` in one transaction. When the database refuses their values (a data
    /// error, one message's fault), writes each half in its own transaction, in order, until
    /// every refused effect is alone: that one is left out and its id noted for
    /// ``takeRefused(_:)``; everything else commits. Any other error is the store's, and thrown.
    private func write(
        _ effects: ArraySlice<PersistenceEffect>, log: LogChanges = LogChanges(), to backend: any StoreBackend
    ) throws(CorrelationStoreError) {
        do throws(CorrelationStoreError) {
            try writeTransaction(Array(effects), log: log, beforeCommit: beforeCommit, to: backend)
        } catch {
            guard case .refused(_, let reason) = error else { throw error }
            if !log.isEmpty {
                // The log's rows are the relay's own (numbers and encoded records): the refusal
                // is an effect's. What says a record is durable (a confirm, a decision written
                // with its record) must commit with the record, not before it: everything else
                // first (the refused effect is found there), then those with the log, in one
                // transaction (see splitAroundTheLog). A crash in between leaves decisions
                // unwritten or unconfirmed, which are made into records again.
                let (first, withLog) = Self.splitAroundTheLog(effects)
                try write(first[...], to: backend)
                return try writeTransaction(withLog, log: log, beforeCommit: beforeCommit, to: backend)
            }
            guard effects.count > 1 else {
                // Only a request's own change can be refused (a purge deletes, it inserts nothing).
                let id = effects.first!.correlationId ?? ""
                condition.lock()
                refused[id] = reason
                statistics.refusedEffects += 1
                condition.unlock()
                return
            }
            let middle = effects.startIndex + effects.count / 2
            try write(effects[..<middle], to: backend)
            try write(effects[middle...], to: backend)
        }
    }

    /// `effects` in two transactions around a log that must not commit apart from them: what
    /// says a record is durable (a confirm, a decision written with its record) goes with the
    /// log, and so does every later effect of the same request, so that each request's effects
    /// keep their order (a purge and a new registration of the same id after a decision must
    /// not be overwritten by it). The rest goes first; a purge after a moved effect is left out
    /// (the next purge covers it).
    static func splitAroundTheLog(
        _ effects: some Sequence<PersistenceEffect>
    ) -> (first: [PersistenceEffect], withLog: [PersistenceEffect]) {
        var first: [PersistenceEffect] = []
        var withLog: [PersistenceEffect] = []
        var moved: Set<String> = []
        for effect in effects {
            // A purge goes first while nothing before it has moved (its order is kept). After a
            // moved effect it is left out: moved before that effect it could delete a row the
            // effect resolves again later, and with the log it would drag every later effect
            // along, out of reach of the search for a refused one. Purges are lazy; the next one
            // covers what this one would have deleted.
            guard let id = effect.correlationId else {
                if moved.isEmpty { first.append(effect) }
                continue
            }
            switch effect {
            case .confirm, .resolve(_, _, _, _, confirmed: true):
                withLog.append(effect)
                moved.insert(id)
            default:
                if moved.contains(id) { withLog.append(effect) } else { first.append(effect) }
            }
        }
        return (first, withLog)
    }

    /// One transaction of `effects` (folded: see ``PersistenceEffect/folded(_:)``) and `log`.
    private func writeTransaction(
        _ effects: [PersistenceEffect], log: LogChanges, beforeCommit: (() -> Void)?,
        to backend: any StoreBackend
    ) throws(CorrelationStoreError) {
        let folded = PersistenceEffect.folded(effects)
        try backend.write(folded, log: log, beforeCommit: beforeCommit)
        condition.lock()
        statistics.foldedEffects += effects.count - folded.count
        condition.unlock()
    }

    private func writerLoop() {
        while true {
            condition.lock()
            while pending.isEmpty && !closing {
                if deferredCursors.isEmpty {
                    condition.wait()
                } else {
                    let due = deferredSince + Self.cursorDelay
                    let left = Double(due.uptimeNanoseconds &- DispatchTime.now().uptimeNanoseconds) / 1e9
                    if due <= DispatchTime.now() || !condition.wait(until: Date(timeIntervalSinceNow: left)) {
                        break
                    }
                }
            }
            for cursor in deferredCursors.values { pending.append(.moveCursor(cursor)) }
            deferredCursors.removeAll(keepingCapacity: true)
            if pending.isEmpty {
                condition.unlock()
                backend?.close()
                backend = nil
                finishWriter()
                return
            }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            var batchError = failure
            condition.unlock()

            let started = DispatchTime.now().uptimeNanoseconds
            var effects: [PersistenceEffect] = []
            var log = LogChanges()
            let appendedAt = Int64(Date().timeIntervalSince1970 * 1000)
            for job in batch {
                switch job {
                case .effect(let effect):
                    effects.append(effect)
                case .append(let drafts):
                    for draft in drafts {
                        log.appends.append(draft.entry(seq: nextSeq, appendedAt: appendedAt))
                        nextSeq += 1
                    }
                case .moveCursor(let cursor):
                    log.cursors[cursor.sink] = cursor
                case .purgeLog(let throughSeq, let before):
                    log.purge = (throughSeq, before)
                default:
                    break
                }
            }
            if batchError == nil, !effects.isEmpty || !log.isEmpty, let backend {
                do throws(CorrelationStoreError) {
                    try write(effects[...], log: log, to: backend)
                    tail.append(log.appends)
                } catch {
                    condition.lock()
                    failure = error
                    condition.unlock()
                    batchError = error
                }
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - started
            condition.lock()
            if batchError == nil, !effects.isEmpty || !log.isEmpty {
                statistics.record(effects: effects.count + log.appends.count, nanoseconds: elapsed)
            }
            condition.unlock()
            for job in batch {
                switch job {
                case .effect, .append, .moveCursor, .purgeLog:
                    break
                case .readLog(let seq, let limit, let continuation):
                    continuation.resume(
                        with: Result {
                            if let batchError { throw CorrelationError.storeFailed(batchError) }
                            guard let backend else {
                                throw CorrelationError.storeFailed(.closed(path: location))
                            }
                            return try backend.readLog(after: seq, limit: limit)
                        })
                case .readLogState(let continuation):
                    continuation.resume(
                        with: Result {
                            if let batchError { throw CorrelationError.storeFailed(batchError) }
                            guard let backend else {
                                throw CorrelationError.storeFailed(.closed(path: location))
                            }
                            return try backend.readLogState()
                        })
                case .barrier(let continuation):
                    if let batchError {
                        continuation.resume(throwing: CorrelationError.storeFailed(batchError))
                    } else {
                        continuation.resume()
                    }
                }
            }
        }
    }
}
