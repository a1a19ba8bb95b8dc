import Foundation
import PostgresNIO

/// A parsed `postgresql://user[:password]@host[:port]/database` URL (also `postgres://`).
///
/// Its description and ``redacted`` never carry the password, and neither does any error it
/// throws: the URL itself is never quoted.
struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// Why a URL was refused; the reason names the part at fault, never the password.
    struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, in plain words.
        var reason: String
        var description: String { reason }
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String

    /// Parses `text`.
    init(_ text: String) throws(Invalid) {
        guard let components = URLComponents(string: text) else {
            throw Invalid(reason: "not a URL (expected postgresql://user@host:port/database)")
        }
        guard let scheme = components.scheme, ["postgresql", "postgres"].contains(scheme.lowercased()) else {
            throw Invalid(reason: "the scheme must be postgresql:// (found \(components.scheme ?? "none"))")
        }
        guard let host = components.host, !host.isEmpty else {
            throw Invalid(reason: "the URL names no host (expected postgresql://user@host:port/database)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw Invalid(reason: "the URL names no user (expected postgresql://user@\(host)/database)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw Invalid(
                reason: "the URL names no database (expected postgresql://\(user)@\(host)/database)")
        }
        if let items = components.queryItems, !items.isEmpty {
            for item in items where !(item.name == "sslmode" && item.value == "disable") {
                throw Invalid(
                    reason:
                        "unsupported URL parameter '\(item.name)' (only sslmode=disable; TLS to PostgreSQL is not supported yet)"
                )
            }
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw Invalid(reason: "the port must be in 1...65535, found \(port)")
        }
        self.host = host
        port = components.port ?? 5432
        username = components.user?.removingPercentEncoding ?? user
        password = components.password?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
    }

    /// `postgresql://user@host:port/database`: the URL without its password, for messages.
    var redacted: String { "postgresql://\(username)@\(host):\(port)/\(database)" }

    var description: String { redacted }
}

extension PostgresURL {
    /// postgres-nio's configuration for this URL (no TLS: the URL allows only sslmode=disable).
    ///
    /// - Parameter idleInTransactionTimeoutMs: when set, the server ends the session of a client
    ///   that leaves a transaction open for longer (PostgreSQL's
    ///   `idle_in_transaction_session_timeout`, sent in the startup packet: no extra round trip).
    func connectionConfiguration(idleInTransactionTimeoutMs: Int64? = nil) -> PostgresConnection.Configuration
    {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable)
        if let idleInTransactionTimeoutMs {
            configuration.options.additionalStartupParameters.append(
                ("idle_in_transaction_session_timeout", String(idleInTransactionTimeoutMs)))
        }
        return configuration
    }
}
