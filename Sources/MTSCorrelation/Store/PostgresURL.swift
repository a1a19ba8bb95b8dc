import Foundation
import NIOCore
import PostgresNIO

/// A parsed `postgresql://user[:password]@host[:port]/database[?parameters]` URL (also
/// `postgres://`).
///
/// The parameters are libpq's, with libpq's meaning: `sslmode`, `sslrootcert`, `sslcert` and
/// `sslkey` (see ``PostgresTLSSettings``); `host`, which replaces the URL's host and, when it is
/// an absolute path, names the directory of a Unix socket (`?host=/var/run/postgresql`); and
/// `hostaddr`, the numeric address to connect to while `host` stays the name the server's
/// certificate must carry.
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

    /// The server's name or address; for a Unix socket, the socket's directory.
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String
    /// The numeric address connected to instead of resolving `host` (libpq's `hostaddr`).
    var hostAddress: String?
    var tls: PostgresTLSSettings

    /// The URL parameters understood.
    static let parameterNames = PostgresTLSSettings.parameterNames.union(["host", "hostaddr"])

    /// Parses `text`.
    init(_ text: String) throws(Invalid) {
        guard let components = URLComponents(string: text) else {
            throw Invalid(reason: "not a URL (expected postgresql://user@host:port/database)")
        }
        guard let scheme = components.scheme, ["postgresql", "postgres"].contains(scheme.lowercased()) else {
            throw Invalid(reason: "the scheme must be postgresql:// (found \(components.scheme ?? "none"))")
        }
        var parameters: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard Self.parameterNames.contains(item.name) else {
                throw Invalid(
                    reason:
                        "unsupported URL parameter '\(item.name)' (supported: \(Self.parameterNames.sorted().joined(separator: ", ")))"
                )
            }
            guard parameters[item.name] == nil else {
                throw Invalid(reason: "the URL parameter '\(item.name)' is given twice")
            }
            parameters[item.name] = item.value ?? ""
        }
        // URLComponents keeps an IPv6 literal's brackets.
        let authorityHost = components.host.map { $0.hasPrefix("[") ? String($0.dropFirst().dropLast()) : $0 }
        guard let host = parameters["host"] ?? authorityHost, !host.isEmpty else {
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
        if let port = components.port, !(1...65535).contains(port) {
            throw Invalid(reason: "the port must be in 1...65535, found \(port)")
        }
        if let address = parameters["hostaddr"] {
            guard (try? SocketAddress(ipAddress: address, port: 0)) != nil else {
                throw Invalid(reason: "hostaddr must be a numeric IP address, found '\(address)'")
            }
            guard !host.hasPrefix("/") else {
                throw Invalid(reason: "hostaddr goes with a host name, not with a Unix socket's directory")
            }
        }
        self.host = host
        hostAddress = parameters["hostaddr"]
        port = components.port ?? 5432
        username = components.user?.removingPercentEncoding ?? user
        password = components.password?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
        tls = try PostgresTLSSettings(parameters: parameters, local: Self.isLocal(host, hostAddress))
    }

    /// Whether a connection to `host` (at `address`) stays on this machine.
    static func isLocal(_ host: String, _ address: String?) -> Bool {
        let loopback: Set<String> = ["localhost", "127.0.0.1", "::1"]
        return host.hasPrefix("/")
            || (loopback.contains(host.lowercased()) && address.map(loopback.contains) ?? true)
    }

    /// The directory of the Unix socket, when `host` names one.
    var socketDirectory: String? { host.hasPrefix("/") ? host : nil }

    /// The Unix socket's path (libpq's: `<directory>/.s.PGSQL.<port>`), when `host` names one.
    var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    /// What is connected to, for messages: `host:port` (with `hostaddr`, `host (address):port`),
    /// or the socket's path.
    var endpoint: String {
        if let socketPath { return socketPath }
        let name = host.contains(":") ? "[\(host)]" : host
        return hostAddress.map { "\(name) (\($0)):\(port)" } ?? "\(name):\(port)"
    }

    /// `postgresql://user@host:port/database`: the URL without its password, for messages.
    var redacted: String {
        if let socketDirectory { return "postgresql://\(username)@/\(database)?host=\(socketDirectory)" }
        let name = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(username)@\(name):\(port)/\(database)"
    }

    /// ``redacted`` with the resolved TLS settings (the defaults spelled out) and `hostaddr`.
    var redactedWithParameters: String {
        let address = hostAddress.map { "&hostaddr=\($0)" } ?? ""
        return redacted + (socketDirectory == nil ? "?" : "&") + tls.query + address
    }

    var description: String { redacted }
}

extension PostgresURL {
    /// postgres-nio's configuration for this URL, TLS included.
    ///
    /// - Parameters:
    ///   - applicationName: the session's `application_name` (`pg_stat_activity`), so that an
    ///     administrator, and the tests through `pg_stat_ssl`, can tell the relay's sessions.
    ///   - idleInTransactionTimeoutMs: when set, the server ends the session of a client that
    ///     leaves a transaction open for longer (PostgreSQL's
    ///     `idle_in_transaction_session_timeout`). Both go in the startup packet: no extra
    ///     round trip.
    /// - Throws: ``PostgresTLSSettings/FileProblem`` when a CA, certificate or key file cannot be
    ///   used.
    func connectionConfiguration(
        applicationName: String? = nil, idleInTransactionTimeoutMs: Int64? = nil
    ) throws(PostgresTLSSettings.FileProblem) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketPath {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: socketPath, username: username, password: password, database: database)
            // Sent as asked: PostgreSQL answers no TLS on a Unix socket, which `require` refuses.
            configuration.tls = try tls.connectionTLS()
        } else {
            configuration = PostgresConnection.Configuration(
                host: hostAddress ?? host, port: port, username: username, password: password,
                database: database, tls: try tls.connectionTLS())
            // With hostaddr, the certificate must still name the host (postgres-nio would check the
            // address). An IP address is checked against the certificate's IP entries by NIOSSL.
            if hostAddress != nil, (try? SocketAddress(ipAddress: host, port: 0)) == nil {
                configuration.options.tlsServerName = host
            }
        }
        if let applicationName {
            configuration.options.additionalStartupParameters.append(("application_name", applicationName))
        }
        if let idleInTransactionTimeoutMs {
            configuration.options.additionalStartupParameters.append(
                ("idle_in_transaction_session_timeout", String(idleInTransactionTimeoutMs)))
        }
        return configuration
    }
}

extension PostgresURL {
    /// The `application_name` of a relay's session: `mts-relay <group> <role>` (`store`,
    /// `lease`). PostgreSQL keeps the first 63 bytes.
    static func applicationName(group: String, role: String) -> String { "mts-relay \(group) \(role)" }
}
