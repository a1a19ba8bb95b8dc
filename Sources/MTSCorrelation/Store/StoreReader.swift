import CSQLite
import Foundation
import PostgresNIO

/// Reads a relay's store without writing to it, for the operator's tools (`mts-relay inspect`,
/// `mts-relay pending`): safe beside a running relay. SQLite is opened read-only (the relay's
/// WAL is read as it is, never checkpointed); PostgreSQL gets one plain `SELECT` on a
/// connection of its own, with the URL's TLS settings, and no schema change.
public enum StoreReader {
    /// Which rows to read.
    public enum Selection: Sendable {
        /// The row of one correlation id.
        case correlationId(String)
        /// Every outstanding request.
        case outstanding
    }

    /// The rows `selection` names at `location` (its group's, for PostgreSQL).
    ///
    /// - Throws: ``CorrelationStoreError`` naming the database, without its password.
    public static func rows(
        at location: StoreLocation, _ selection: Selection
    ) async throws -> [PersistedRequest] {
        switch location {
        case .memory:
            return []
        case .sqlite(let path):
            // The SQLite calls block: on a thread of their own, not the cooperative pool.
            return try await withCheckedThrowingContinuation { continuation in
                Thread {
                    continuation.resume(with: Result { try readSQLite(path: path, selection) })
                }.start()
            }
        case .postgres(let url, let group):
            return try await readPostgres(url: url, group: group, selection)
        }
    }

    private static func readSQLite(path: String, _ selection: Selection) throws -> [PersistedRequest] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CorrelationStoreError.cannotOpen(path: path, reason: "no such file")
        }
        do throws(SQLiteConnection.Failure) {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            defer { connection.close() }
            switch selection {
            case .correlationId(let id):
                return try SQLiteBackend.read(connection, where: "correlation_id = ?1") {
                    connection.bind($0, 1, id)
                }
            case .outstanding:
                return try SQLiteBackend.read(
                    connection, where: "state = \(PersistedRequest.State.outstanding.rawValue)",
                    bind: { _ in })
            }
        } catch {
            throw error.isCorruption
                ? CorrelationStoreError.corrupt(path: path, reason: error.message)
                : CorrelationStoreError.cannotOpen(path: path, reason: error.message)
        }
    }

    private static func readPostgres(
        url text: String, group: String, _ selection: Selection
    ) async throws -> [PersistedRequest] {
        let location = StoreLocation.postgres(url: text, group: group).description
        let url: PostgresURL
        let configuration: PostgresConnection.Configuration
        do {
            url = try PostgresURL(text)
            configuration = try url.connectionConfiguration(
                applicationName: PostgresURL.applicationName(group: group, role: "reader"))
        } catch let error as PostgresURL.Invalid {
            throw CorrelationStoreError.cannotOpen(path: "postgresql://(invalid URL)", reason: error.reason)
        } catch let error as PostgresTLSSettings.FileProblem {
            throw CorrelationStoreError.cannotOpen(path: location, reason: error.reason)
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: configuration, id: 3, logger: PostgresBackend.logger)
        } catch {
            throw CorrelationStoreError.cannotOpen(
                path: location, reason: "cannot connect: \(await url.connectFailureReason(error))")
        }
        defer { Task { try? await connection.close() } }
        var binds = PostgresBindings()
        binds.append(group)
        let condition: String
        switch selection {
        case .correlationId(let id):
            binds.append(id)
            condition = "correlation_id = $2"
        case .outstanding:
            condition = "state = \(PersistedRequest.State.outstanding.rawValue)"
        }
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(PostgresBackend.columns) FROM \(PostgresBackend.table)
                WHERE group_name = $1 AND \(condition) ORDER BY timestamp_utc
                """, binds: binds)
        do {
            var rows: [PersistedRequest] = []
            for try await row in try await connection.query(query, logger: PostgresBackend.logger) {
                rows.append(try PostgresBackend.decodeRow(row, location: location))
            }
            return rows
        } catch let error as CorrelationStoreError {
            throw error
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            // No table yet: no relay of any group has opened this database.
            return []
        } catch {
            throw CorrelationStoreError.cannotOpen(
                path: location, reason: "cannot read the rows: \(PostgresBackend.reason(error))")
        }
    }
}
