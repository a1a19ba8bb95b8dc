/// Errors of the durable store; every case names the database: the SQLite path, or the
/// PostgreSQL URL without its password (`path` holds either).
public enum CorrelationStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The directory that should hold the database does not exist (the engine never creates it).
    case directoryMissing(path: String)
    /// The database could not be opened or set up (permissions, locks, an unreachable server, a
    /// refused login, ...).
    case cannotOpen(path: String, reason: String)
    /// The file is not a SQLite database, or its content is damaged.
    case corrupt(path: String, reason: String)
    /// A batched write failed; the engine stops accepting work.
    case writeFailed(path: String, reason: String)
    /// The database refused the values of a write: a data error (PostgreSQL SQLSTATE class 22
    /// or 23, or 54000 for an index entry too large; SQLite CONSTRAINT, TOOBIG or MISMATCH).
    /// The fault is a message's, not the store's: ``CorrelationStore`` isolates the effect that
    /// caused it and commits the rest; it never stops the store.
    case refused(path: String, reason: String)
    /// The disk under a SQLite database is full (SQLITE_FULL). The transaction was rolled back;
    /// the engine stops as for any failed write, and the daemon exits to be restarted.
    case diskFull(path: String, reason: String)
    /// The store was closed.
    case closed(path: String)
    /// A write carried `epoch`, which is no longer the group's lease epoch (another relay took
    /// over), or no epoch at all (0: this relay is not active). Nothing of it was written.
    case fenced(path: String, epoch: Int64)

    /// A sentence for logs, naming the database.
    public var description: String {
        switch self {
        case .directoryMissing(let path):
            "correlation store \(path): the directory does not exist"
        case .cannotOpen(let path, let reason):
            "correlation store \(path): cannot open: \(reason)"
        case .corrupt(let path, let reason):
            "correlation store \(path): not a valid database (corrupt or foreign file): \(reason)"
        case .writeFailed(let path, let reason):
            "correlation store \(path): write failed: \(reason)"
        case .refused(let path, let reason):
            "correlation store \(path): the database refused the values of one message: \(reason)"
        case .diskFull(let path, let reason):
            "correlation store \(path): the disk is full: \(reason)"
        case .closed(let path):
            "correlation store \(path): closed"
        case .fenced(let path, let epoch):
            "correlation store \(path): write refused: epoch \(epoch) is not the group's lease epoch (another relay is active)"
        }
    }
}
