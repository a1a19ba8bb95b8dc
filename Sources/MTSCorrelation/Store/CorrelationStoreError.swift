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
        case .closed(let path):
            "correlation store \(path): closed"
        case .fenced(let path, let epoch):
            "correlation store \(path): write refused: epoch \(epoch) is not the group's lease epoch (another relay is active)"
        }
    }
}
