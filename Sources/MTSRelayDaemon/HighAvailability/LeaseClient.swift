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
            return try await current.within(timeout, body)
        } catch {
            // Whatever failed, the next call starts on a new connection.
            lease.withLock { if $0 === current { $0 = nil } }
            current.abort()
            throw error
        }
    }
}
