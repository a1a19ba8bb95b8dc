import Logging
import MTSCorrelation
import Synchronization

/// The lease IO of ``LeadershipService``: a ``PostgresLease`` that reconnects. A failed call
/// drops the connection, and the next call opens a new one, so the lease survives a database
/// restart. Each call is bounded by a deadline: a database that stops answering (rather than
/// refusing) counts as a failure, not as a wait.
final class LeaseClient: Sendable {
    let url: String
    let group: String
    let node: String
    let logger: Logger
    private let lease = Mutex<PostgresLease?>(nil)

    init(url: String, group: String, node: String, logger: Logger) {
        self.url = url
        self.group = group
        self.node = node
        self.logger = logger
    }

    /// Takes the lease if it is free (see ``PostgresLease/tryAcquire(leaseMs:)``).
    func tryAcquire(leaseMs: Int64, timeout: Duration) async throws -> Int64? {
        try await call(timeout: timeout) { try await $0.tryAcquire(leaseMs: leaseMs) }
    }

    /// Renews the lease of `epoch`; false when another member took it.
    func renew(epoch: Int64, leaseMs: Int64, timeout: Duration) async throws -> Bool {
        try await call(timeout: timeout) { try await $0.renew(epoch: epoch, leaseMs: leaseMs) }
    }

    /// Ends the lease of `epoch` at once, if it still has it; failures are only logged (the
    /// lease then runs out by itself).
    func release(epoch: Int64) async {
        do {
            try await call(timeout: .seconds(2)) { try await $0.release(epoch: epoch) }
        } catch {
            logger.warning(
                "Could not release the lease; it runs out by itself",
                metadata: ["group": "\(group)", "epoch": "\(epoch)", "error": "\(error)"])
        }
    }

    /// Closes the connection.
    func close() {
        lease.withLock { lease in
            defer { lease = nil }; return lease
        }?.abort()
    }

    private func call<T: Sendable>(
        timeout: Duration, _ body: @escaping @Sendable (PostgresLease) async throws -> T
    ) async throws -> T {
        let current: PostgresLease
        if let open = lease.withLock({ $0 }) {
            current = open
        } else {
            current = try await PostgresLease.connect(url: url, group: group, node: node)
            lease.withLock { $0 = current }
        }
        do {
            return try await Self.bounded(current, timeout: timeout, body)
        } catch {
            // Whatever failed, the next call starts on a new connection.
            lease.withLock { if $0 === current { $0 = nil } }
            current.abort()
            throw error
        }
    }

    /// `body` on `current`, given up after `timeout` or when the task is cancelled.
    ///
    /// Not a task group: a group waits for its children, and a postgres-nio query on a
    /// connection the server ended (a restart: "terminating connection due to administrator
    /// command") was seen never to answer. A query sent once the connection is closed fails at
    /// once (`queryUnlessClosed`), but one sent just before the close can still hang. So the query
    /// runs in a task of its own, and the caller resumes with whichever comes first: its
    /// answer, the timeout, or the cancellation. A query given up on is abandoned (its
    /// connection is closed; its task ends whenever postgres-nio ends it).
    private static func bounded<T: Sendable>(
        _ current: PostgresLease, timeout: Duration,
        _ body: @escaping @Sendable (PostgresLease) async throws -> T
    ) async throws -> T {
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.set(continuation)
                let work = Task {
                    do {
                        outcome.resume(with: .success(try await body(current)))
                    } catch {
                        outcome.resume(with: .failure(error))
                    }
                }
                Task {
                    try? await Task.sleep(for: timeout)
                    if outcome.resume(with: .failure(LeaseTimeout(timeout: timeout))) {
                        work.cancel()
                        current.abort()
                    }
                }
            }
        } onCancel: {
            outcome.resume(with: .failure(CancellationError()))
        }
    }

    /// The first of several possible answers to one continuation.
    private final class Outcome<T: Sendable>: Sendable {
        private let state = Mutex<
            (continuation: CheckedContinuation<T, any Error>?, early: Result<T, any Error>?)
        >(
            (nil, nil))

        func set(_ continuation: CheckedContinuation<T, any Error>) {
            let early: Result<T, any Error>? = state.withLock { state in
                if let early = state.early { return early }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        /// Resumes with `result` unless something else did first; true when this one did.
        @discardableResult
        func resume(with result: Result<T, any Error>) -> Bool {
            let (continuation, first): (CheckedContinuation<T, any Error>?, Bool) = state.withLock { state in
                if let continuation = state.continuation {
                    state.continuation = nil
                    state.early = result  // marks it answered
                    return (continuation, true)
                }
                guard state.early == nil else { return (nil, false) }
                // Answered before the continuation was set (a cancellation first of all).
                state.early = result
                return (nil, true)
            }
            continuation?.resume(with: result)
            return first
        }
    }
}

/// A lease call that got no answer in time.
struct LeaseTimeout: Error, CustomStringConvertible {
    var timeout: Duration
    var description: String { "the database did not answer within \(timeout)" }
}
