/// Errors of the durable store; every case names the database path.
public enum CorrelationStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The directory that should hold the database does not exist (the engine never creates it).
    case directoryMissing(path: String)
    /// SQLite could not open or set up the database (permissions, locks, ...).
    case cannotOpen(path: String, reason: String)
    /// The file is not a SQLite database, or its content is damaged.
    case corrupt(path: String, reason: String)
    /// A batched write failed; the engine stops accepting work.
    case writeFailed(path: String, reason: String)
    /// The store was closed.
    case closed(path: String)

    /// A sentence for logs, naming the path.
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
        }
    }
}
