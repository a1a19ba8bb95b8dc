import Logging
import NIOCore
import PostgresNIO

/// A statement sent on a connection that is already closed.
struct PostgresConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the connection to the database is closed" }
}

extension PostgresConnection {
    /// `query(_:logger:)`, failing at once when the connection is closed.
    ///
    /// postgres-nio (1.33) hands a query to its channel without a write promise: on a closed
    /// channel the write fails unseen and the query's future never completes. That is the
    /// state a session ended by the server leaves (a restart, or
    /// `idle_in_transaction_session_timeout` ending a member frozen inside a batch). The check
    /// can race with a close; ``PostgresBackend/waitBounded(_:timeout:)`` still bounds that case.
    func queryUnlessClosed(_ query: PostgresQuery, logger: Logger) -> EventLoopFuture<PostgresQueryResult> {
        guard !isClosed else { return eventLoop.makeFailedFuture(PostgresConnectionClosed()) }
        return self.query(query, logger: logger)
    }

    /// The async `query(_:logger:)`, failing at once when the connection is closed (see above).
    func queryUnlessClosed(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else { throw PostgresConnectionClosed() }
        return try await self.query(query, logger: logger)
    }
}
