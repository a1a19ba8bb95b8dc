/// Errors of the correlation engine, each carrying what went wrong.
public enum CorrelationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The correlation id is already known (outstanding or in retention) with a different body.
    /// The existing request is kept; registration never overwrites.
    case conflictingRegistration(correlationId: String, existingState: PersistedRequest.State)
    /// More distinct operation and content-type names than the engine can intern (65 535).
    case tooManyDistinctNames(String)
    /// A correlation id longer than 65 535 UTF-8 bytes, or a ticket id longer than 32 767.
    case fieldTooLong(field: String, length: Int)
    /// The store failed earlier; the engine refuses work until restarted.
    case storeFailed(CorrelationStoreError)
    /// The database refused this request's values (a data error); the request was not
    /// registered, and the rest of its batch was.
    case storeRefused(correlationId: String, reason: String)

    /// A sentence for logs.
    public var description: String {
        switch self {
        case .conflictingRegistration(let id, let state):
            "correlationId '\(id)' is already registered (\(state)) with a different body"
        case .tooManyDistinctNames(let name):
            "cannot intern name '\(name)': too many distinct operation and content-type names"
        case .fieldTooLong(let field, let length):
            "\(field) is \(length) bytes long, more than the engine keeps"
        case .storeFailed(let error):
            "the correlation store failed: \(error)"
        case .storeRefused(_, let reason):
            "the correlation store refused the request: \(reason)"
        }
    }
}

extension CorrelationError {
    /// Whether the store refused a write of an epoch that is no longer the lease's (another
    /// member took the group over).
    public var isFenced: Bool {
        if case .storeFailed(.fenced) = self { return true }
        return false
    }
}
