/// Where a ``CorrelationEngine`` keeps its pending table.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    /// Nothing durable: the table lives in memory only.
    case memory
    /// A SQLite file (created if absent; its directory must exist).
    case sqlite(path: String)
    /// A PostgreSQL database, `postgresql://user[:password]@host[:port]/database`, shared by
    /// several relays: the rows are scoped by `group` (`ha.group`), so groups may share it.
    case postgres(url: String, group: String = "default")

    /// The location for messages; a PostgreSQL URL is shown without its password.
    public var description: String {
        switch self {
        case .memory: "memory"
        case .sqlite(let path): path
        case .postgres(let url, let group):
            "\((try? PostgresURL(url).redacted) ?? "postgresql://(invalid URL)") group \(group)"
        }
    }
}

extension StoreLocation {
    /// What opens this location's backend (run on the store's writer thread); nil for memory.
    /// `fence` stamps PostgreSQL writes with the lease epoch.
    func makeBackend(
        fence: StoreFence? = nil
    ) -> (@Sendable () throws(CorrelationStoreError) -> any StoreBackend)? {
        switch self {
        case .memory:
            nil
        case .sqlite(let path):
            { () throws(CorrelationStoreError) in try SQLiteBackend(path: path) }
        case .postgres(let url, let group):
            { () throws(CorrelationStoreError) in try PostgresBackend(url: url, group: group, fence: fence) }
        }
    }
}

extension StoreLocation {
    /// Why `url` is not a usable PostgreSQL URL, in words that never quote it (nor its
    /// password); nil when it is one.
    public static func postgresURLProblem(_ url: String) -> String? {
        do throws(PostgresURL.Invalid) {
            _ = try PostgresURL(url)
            return nil
        } catch {
            return error.reason
        }
    }

    /// `url` with its password replaced by `****` (`postgresql://user:****@host:port/db`), or
    /// without one when it has none, and its TLS parameters resolved (the default sslmode
    /// spelled out); nil when it is not a PostgreSQL URL.
    public static func maskedPostgresURL(_ url: String) -> String? {
        guard let parsed = try? PostgresURL(url) else { return nil }
        let redacted = parsed.redactedWithParameters
        guard parsed.password != nil else { return redacted }
        let user = "postgresql://\(parsed.username)@"
        return "postgresql://\(parsed.username):****@" + redacted.dropFirst(user.count)
    }
}
