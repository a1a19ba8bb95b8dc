import CSQLite

/// A minimal owner of one `sqlite3*` handle and its prepared statements.
///
/// Not thread-safe: opened with SQLITE_OPEN_NOMUTEX, it must be used by one thread at a time.
/// ``CorrelationStore`` uses it on the caller's thread while opening, then only on its writer
/// thread.
final class SQLiteConnection {
    /// A SQLite failure: the result code and SQLite's message.
    struct Failure: Error {
        var code: Int32
        var message: String

        var isCorruption: Bool {
            let primary = code & 0xff
            return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
        }
    }

    private(set) var handle: OpaquePointer?

    /// Opens `path`, creating it when missing; with `readOnly`, opens an existing file for
    /// reading only (a tool beside a running relay).
    init(path: String, readOnly: Bool = false) throws(Failure) {
        let flags =
            readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK else {
            let failure = Failure(
                code: status, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "")
            sqlite3_close_v2(handle)
            handle = nil
            throw failure
        }
        sqlite3_extended_result_codes(handle, 1)
        // The relay and an operator's tool (`mts-relay replay`) may write the same file: the
        // one that finds it locked waits for the other's short transaction instead of failing.
        sqlite3_busy_timeout(handle, 10_000)
    }

    deinit {
        close()
    }

    func close() {
        guard let handle else { return }
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    func failure(_ code: Int32) -> Failure {
        Failure(code: code, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection")
    }

    /// Runs SQL that returns no rows we need.
    func execute(_ sql: String) throws(Failure) {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw failure(status) }
    }

    /// Runs SQL and returns the first column of the first row as text.
    func scalarText(_ sql: String) throws(Failure) -> String? {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        let status = sqlite3_step(statement)
        guard status == SQLITE_ROW else {
            if status == SQLITE_DONE { return nil }
            throw failure(status)
        }
        return sqlite3_column_text(statement, 0).map { String(cString: $0) }
    }

    func prepare(_ sql: String) throws(Failure) -> OpaquePointer {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status) }
        return statement
    }

    // MARK: Binding (1-based indices); the transient wrappers copy, see shim.h.

    func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(statement, index)
            return
        }
        text.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                if let base = chars.baseAddress {
                    _ = mts_sqlite3_bind_text_transient(statement, index, base, Int32(chars.count))
                } else {
                    _ = mts_sqlite3_bind_text_transient(statement, index, "", 0)
                }
            }
        }
    }

    func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64?) {
        if let value {
            sqlite3_bind_int64(statement, index, value)
        } else {
            sqlite3_bind_null(statement, index)
        }
    }

    /// Binds `blob`; an empty or absent one as NULL (a nullable column's "none", as the
    /// PostgreSQL backend's `NULLIF(..., '')`).
    func bind(_ statement: OpaquePointer, _ index: Int32, blob: [UInt8]?) {
        guard let blob, !blob.isEmpty else {
            sqlite3_bind_null(statement, index)
            return
        }
        bind(statement, index, bytes: blob)
    }

    /// Binds `bytes` for a NOT NULL column: an empty one as a zero-length blob. (An empty
    /// array's base address may be nil, which `sqlite3_bind_blob` would bind as NULL.)
    func bind(_ statement: OpaquePointer, _ index: Int32, bytes: [UInt8]) {
        guard !bytes.isEmpty else {
            sqlite3_bind_zeroblob(statement, index, 0)
            return
        }
        bytes.withUnsafeBytes { buffer in
            _ = mts_sqlite3_bind_blob_transient(statement, index, buffer.baseAddress, Int32(buffer.count))
        }
    }

    /// Steps a statement that returns no rows, then resets it for reuse.
    func run(_ statement: OpaquePointer) throws(Failure) {
        let status = sqlite3_step(statement)
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        guard status == SQLITE_DONE else { throw failure(status) }
    }

    // MARK: Reading columns (0-based)

    func text(_ statement: OpaquePointer, _ column: Int32) -> String? {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL,
            let characters = sqlite3_column_text(statement, column)
        else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: characters, count: count), as: UTF8.self)
    }

    func int64(_ statement: OpaquePointer, _ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
    }

    func blob(_ statement: OpaquePointer, _ column: Int32) -> [UInt8] {
        // The pointer first, then its length: the order SQLite documents.
        guard let bytes = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}
