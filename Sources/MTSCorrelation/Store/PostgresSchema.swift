/// The PostgreSQL schema of the store and the lease, created or migrated idempotently by
/// whichever opens first (``PostgresBackend``, ``PostgresLease``); concurrent openers are
/// serialised by a transaction-scoped advisory lock.
package enum PostgresSchema {
    /// The table of requests, every group's, keyed by correlation id and group (the id first:
    /// a batch's statements look their rows up by id). Reading a group at open scans the table,
    /// once.
    static let requestTable = "mts_relay_request"
    /// One lease row per group.
    static let leaseTable = "mts_relay_lease"
    /// The log of results, every group's, keyed by group and position.
    static let logTable = "mts_relay_result_log"
    /// Each group's sinks' cursors in its log.
    static let cursorTable = "mts_relay_sink_cursor"
    /// Every table that holds a group's rows (keyed by `group_name`), for clean-up.
    package static let groupTables = [requestTable, leaseTable, logTable, cursorTable]

    /// The advisory lock that serialises schema changes (an arbitrary constant of this program).
    static let lock: Int64 = 0x6d74_7372_656c_6179

    /// The statements to run in order, in one transaction (`BEGIN` and `COMMIT` included).
    static let migration = [
        "BEGIN",
        "SELECT pg_advisory_xact_lock(\(lock))",
        """
        CREATE TABLE IF NOT EXISTS \(requestTable)(
            group_name text NOT NULL,
            correlation_id text NOT NULL,
            operation text NOT NULL,
            content_type text NOT NULL,
            timestamp_utc bigint NOT NULL,
            ticket_id text,
            body bytea,
            body_hash bigint NOT NULL,
            deadline bigint NOT NULL,
            state bigint NOT NULL,
            resolved_at bigint,
            reply_hash bigint,
            confirmed boolean NOT NULL DEFAULT false,
            sent boolean NOT NULL DEFAULT false,
            answer bytea,
            answer_status bigint,
            answered_at bigint,
            PRIMARY KEY (correlation_id, group_name)
        )
        """,
        // Tombstones are purged by resolution time (the memory keeps no ids): resolved rows
        // only, so outstanding requests cost the index nothing. Looked up first: `CREATE INDEX
        // IF NOT EXISTS` takes its table lock before it looks, and would wait for every other
        // group's open transactions at each open.
        """
        DO $$ BEGIN
            IF to_regclass('\(requestTable)_resolved') IS NULL THEN
                CREATE INDEX \(requestTable)_resolved ON \(requestTable)(group_name, resolved_at)
                    WHERE state <> 0;
            END IF;
        END $$
        """,
        """
        CREATE TABLE IF NOT EXISTS \(leaseTable)(
            group_name text PRIMARY KEY,
            holder text NOT NULL,
            epoch bigint NOT NULL,
            expires_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS \(logTable)(
            group_name text NOT NULL,
            seq bigint NOT NULL,
            appended_at bigint NOT NULL,
            outcome text NOT NULL,
            operation text,
            correlation_id text,
            record bytea NOT NULL,
            PRIMARY KEY (group_name, seq)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS \(cursorTable)(
            group_name text NOT NULL,
            sink text NOT NULL,
            seq bigint NOT NULL,
            generation bigint NOT NULL DEFAULT 0,
            replay_until bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (group_name, sink)
        )
        """,
        "COMMIT",
    ]
}
