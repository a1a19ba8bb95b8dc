import Logging
import PostgresNIO

/// The lease IO of one member of a group, on a PostgreSQL connection of its own: one row per
/// group in `mts_relay_lease` (holder, epoch, expiry), timed by the database's clock (`now()`),
/// so members' clocks need not agree.
///
/// - ``tryAcquire(leaseMs:)`` takes the lease when it is free or expired, incrementing the
///   epoch: every take-over gets a new one.
/// - ``renew(epoch:leaseMs:)`` extends it while it still has the member's epoch.
/// - ``release(epoch:)`` ends it at once (a clean shutdown), so that a standby need not wait.
///
/// Driven by a ``LeaseStateMachine``; the writes themselves are fenced by ``StoreFence``. Its
/// calls are async (postgres-nio's async API): they suspend, they block no thread.
public final class PostgresLease: Sendable {
    /// The group whose lease this is.
    public let group: String
    /// This member's name, written as the holder.
    public let node: String
    /// The database, without the password.
    public let location: String

    private let connection: PostgresConnection
    private var logger: Logger { PostgresBackend.logger }

    private init(connection: PostgresConnection, group: String, node: String, location: String) {
        self.connection = connection
        self.group = group
        self.node = node
        self.location = location
    }

    /// Connects to `url` and creates the schema when missing.
    ///
    /// - Throws: ``CorrelationStoreError/cannotOpen(path:reason:)`` naming the URL without its
    ///   password and what failed.
    public static func connect(url text: String, group: String, node: String) async throws -> PostgresLease {
        let url: PostgresURL
        do throws(PostgresURL.Invalid) {
            url = try PostgresURL(text)
        } catch {
            throw CorrelationStoreError.cannotOpen(path: "postgresql://(invalid URL)", reason: error.reason)
        }
        let logger = PostgresBackend.logger
        let connection: PostgresConnection
        let configuration: PostgresConnection.Configuration
        do throws(PostgresTLSSettings.FileProblem) {
            configuration = try url.connectionConfiguration(
                applicationName: PostgresURL.applicationName(group: group, role: "lease"))
        } catch {
            throw CorrelationStoreError.cannotOpen(path: url.redacted, reason: error.reason)
        }
        do {
            connection = try await PostgresConnection.connect(
                configuration: configuration, id: 2, logger: logger)
        } catch {
            throw CorrelationStoreError.cannotOpen(
                path: url.redacted, reason: "cannot connect: \(await url.connectFailureReason(error))")
        }
        do {
            for statement in PostgresSchema.migration {
                _ = try await connection.queryUnlessClosed(
                    PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        } catch {
            try? await connection.close()
            throw CorrelationStoreError.cannotOpen(
                path: url.redacted, reason: "cannot create the schema: \(PostgresBackend.reason(error))")
        }
        return PostgresLease(connection: connection, group: group, node: node, location: url.redacted)
    }

    /// Takes the lease if it is free or has expired by the database's clock, for `leaseMs`;
    /// returns the new epoch, or nil when another member holds it.
    public func tryAcquire(leaseMs: Int64) async throws -> Int64? {
        let table = PostgresSchema.leaseTable
        let rows = try await run(
            """
            INSERT INTO \(unescaped: table) AS l (group_name, holder, epoch, expires_at)
            VALUES (\(group), \(node), 1, now() + \(leaseMs)::float8 * interval '1 millisecond')
            ON CONFLICT (group_name) DO UPDATE
                SET holder = EXCLUDED.holder, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at
                WHERE l.expires_at < now()
            RETURNING epoch
            """)
        return rows.first
    }

    /// Extends the lease by `leaseMs` from now (the database's clock) if it still has `epoch`;
    /// returns false when another member has taken it.
    public func renew(epoch: Int64, leaseMs: Int64) async throws -> Bool {
        let table = PostgresSchema.leaseTable
        let rows = try await run(
            """
            UPDATE \(unescaped: table) SET expires_at = now() + \(leaseMs)::float8 * interval '1 millisecond'
            WHERE group_name = \(group) AND epoch = \(epoch) RETURNING epoch
            """)
        return !rows.isEmpty
    }

    /// Ends the lease of `epoch` now, if it still has it: a standby may take over at once.
    public func release(epoch: Int64) async throws {
        let table = PostgresSchema.leaseTable
        _ = try await run(
            """
            UPDATE \(unescaped: table) SET expires_at = now() - interval '1 millisecond'
            WHERE group_name = \(group) AND epoch = \(epoch) RETURNING epoch
            """)
    }

    /// The group's current epoch and holder, or nil when no member ever took the lease.
    public func current() async throws -> (epoch: Int64, holder: String)? {
        let table = PostgresSchema.leaseTable
        do {
            let rows = try await connection.queryUnlessClosed(
                "SELECT epoch, holder FROM \(unescaped: table) WHERE group_name = \(group)", logger: logger)
            for try await (epoch, holder) in rows.decode((Int64, String).self) { return (epoch, holder) }
            return nil
        } catch {
            throw CorrelationStoreError.writeFailed(path: location, reason: PostgresBackend.reason(error))
        }
    }

    /// `body` on this lease, given up after `timeout` or when the task is cancelled: a
    /// database that stops answering (rather than refusing) is a failure, not a wait. On the
    /// timeout the connection is closed, so that the lease starts again on a new one.
    ///
    /// The query runs in a task of its own and the caller resumes with whichever comes first
    /// (``DeadlineRace``): a query given up on is abandoned, its task ends whenever
    /// postgres-nio ends it.
    public func within<T: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable (PostgresLease) async throws -> T
    ) async throws -> T {
        let nanoseconds =
            timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let race = DeadlineRace(
            connection.eventLoop.makeFutureWithTask { try await body(self) },
            timeout: .nanoseconds(nanoseconds), timedOut: { LeaseTimeout(timeout: timeout) },
            onTimeout: { [self] in abort() })
        return try await withTaskCancellationHandler {
            try await race.result.get()
        } onCancel: {
            race.abandon(with: CancellationError())
        }
    }

    /// Closes the connection.
    public func close() async {
        try? await connection.close()
    }

    /// Starts closing the connection without waiting (from a cancellation handler): whatever
    /// is pending on it fails.
    public func abort() {
        Self.closeInBackground(connection)
    }

    deinit {
        // A lease dropped without `close()` (a test that failed half-way): close it all the same.
        Self.closeInBackground(connection)
    }

    /// Starts closing `connection` and keeps it alive until it is closed: postgres-nio asserts
    /// (debug builds) that a connection is closed when it is deinitialised, and closing takes
    /// a turn of its event loop.
    private static func closeInBackground(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Runs a statement returning epochs.
    private func run(_ query: PostgresQuery) async throws -> [Int64] {
        do {
            var epochs: [Int64] = []
            for try await epoch in try await connection.queryUnlessClosed(query, logger: logger).decode(
                Int64.self)
            {
                epochs.append(epoch)
            }
            return epochs
        } catch {
            throw CorrelationStoreError.writeFailed(path: location, reason: PostgresBackend.reason(error))
        }
    }
}

/// A lease call that got no answer in time.
public struct LeaseTimeout: Error, CustomStringConvertible {
    public var timeout: Duration
    public var description: String { "the database did not answer within \(timeout)" }
}
