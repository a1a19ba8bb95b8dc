import Dispatch
import Foundation
import Logging
import PostgresNIO
import Synchronization

@testable import MTSCorrelation

/// The PostgreSQL server the tests use: `MTS_RELAY_TEST_POSTGRES_URL`, by default the one
/// `scripts/start-postgresql.sh` sets up, over `sslmode=verify-full` with the test CA. Each test
/// works in a group of its own, so tests run in parallel on one database.
enum TestPostgres {
    static let url =
        ProcessInfo.processInfo.environment["MTS_RELAY_TEST_POSTGRES_URL"]
        ?? "postgresql://mts_relay:mts_relay@localhost:5432/mts_relay?sslmode=verify-full&sslrootcert=\(tlsFile("ca.pem"))"

    /// The same server without TLS (`sslmode=disable`, the default for 127.0.0.1).
    static let plainURL = "postgresql://mts_relay:mts_relay@127.0.0.1:5432/mts_relay"

    /// A file of the test certificates (`scripts/make-test-certs.sh`): `MTS_RELAY_TLS_DIR`, by
    /// default the repository's `var/tls`.
    static func tlsFile(_ name: String) -> String {
        let directory =
            ProcessInfo.processInfo.environment["MTS_RELAY_TLS_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("var/tls").path
        return "\(directory)/\(name)"
    }

    /// A group name no other test uses.
    static func uniqueGroup(_ prefix: String = "test") -> String { "\(prefix)-\(UUID().uuidString)" }

    static let logger = Logger(label: "mts-relay.tests.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` on a connection of its own, then closes it.
    static func withConnection<T: Sendable>(
        _ url: String = TestPostgres.url, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let parsed = try PostgresURL(url)
        let connection = try await PostgresConnection.connect(
            configuration: parsed.connectionConfiguration(), id: 99, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Copies the committed rows of `group` into `copy`: the state a relay killed at this instant
    /// leaves (PostgreSQL keeps every committed transaction, nothing else).
    static func snapshot(group: String, to copy: String) async throws {
        try await withConnection { connection in
            _ = try await connection.query(
                """
                INSERT INTO mts_relay_request SELECT \(copy), correlation_id, operation, content_type, timestamp_utc,
                    ticket_id, body, body_hash, deadline, state, resolved_at, reply_hash, confirmed, sent, answer,
                    answer_status, answered_at
                FROM mts_relay_request WHERE group_name = \(group)
                """, logger: logger)
        }
    }

    /// Deletes a group's rows in every table that holds some.
    static func drop(group: String) async {
        _ = try? await withConnection { connection in
            for table in PostgresSchema.groupTables {
                _ = try await connection.query(
                    "DELETE FROM \(unescaped: table) WHERE group_name = \(group)", logger: logger)
            }
        }
    }

    /// Runs `work` on a thread of its own: the store backends block their caller, which must
    /// not be a thread of the cooperative pool.
    static func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// Runs an async body from a synchronous context that may block (the store's writer thread,
    /// in a before-commit hook): never call it from the cooperative pool.
    static func blocking(_ body: @escaping @Sendable () async throws -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            try? await body()
            done.signal()
        }
        done.wait()
    }
}
