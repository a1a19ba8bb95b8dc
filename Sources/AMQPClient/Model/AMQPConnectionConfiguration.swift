import Foundation

/// Where and how to connect to a broker.
///
/// Built from an AMQP URL (`amqp://user:pass@host:port/vhost`, `amqps://...` for TLS) plus
/// the settings a URL does not carry. `description` masks the password, so a configuration
/// can be logged as it is.
public struct AMQPConnectionConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// TLS settings for `amqps://` connections. Peer and host-name verification are on unless
    /// turned off here, explicitly.
    public struct TLS: Sendable, Hashable {
        /// PEM file with the certificate authorities to trust.
        public var caFile: String?
        /// PEM client certificate, for brokers that require one.
        public var certificateFile: String?
        /// PEM private key of the client certificate.
        public var keyFile: String?
        /// Verify the broker's certificate chain. Turning this off is for tests only.
        public var verifyPeer: Bool
        /// Verify that the certificate names the host connected to.
        public var verifyHostname: Bool

        public init(
            caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
            verifyPeer: Bool = true, verifyHostname: Bool = true
        ) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.verifyPeer = verifyPeer
            self.verifyHostname = verifyHostname
        }
    }

    /// How the client logs in (SASL mechanism).
    public enum Login: String, Sendable, Hashable {
        /// User name and password (`PLAIN`), the default.
        case plain
        /// The TLS client certificate (`EXTERNAL`): the broker takes the user name from the
        /// certificate (RabbitMQ's `rabbitmq_auth_mechanism_ssl` plugin), and the URL's user
        /// and password are not sent. Needs TLS with `certificateFile` and `keyFile`.
        case external
    }

    public var host: String
    public var port: Int
    public var virtualHost: String
    public var user: String
    public var password: String
    /// TLS settings; `nil` means a plain TCP connection.
    public var tls: TLS?
    /// How the client logs in; `auth_mechanism=external` in the URL's query sets `.external`.
    public var login: Login = .plain
    /// Heartbeat interval the client asks for, in seconds (0 turns heartbeats off).
    public var heartbeatSeconds: Int = 20
    /// The name the broker shows for this connection (`rabbitmqctl list_connections`).
    public var connectionName: String = "mts-relay"
    /// Time allowed for the TCP connect and for the AMQP handshake.
    public var connectTimeout: Duration = .seconds(10)
    /// Time allowed for one broker round trip (declare, qos, consume, close).
    public var rpcTimeout: Duration = .seconds(30)
    /// Largest frame the client asks for; 131072 is librabbitmq's default.
    public var frameMax: Int = 131_072

    public init(
        host: String = "127.0.0.1", port: Int? = nil, virtualHost: String = "/",
        user: String = "guest", password: String = "guest", tls: TLS? = nil
    ) {
        self.host = host
        self.port = port ?? (tls == nil ? 5672 : 5671)
        self.virtualHost = virtualHost
        self.user = user
        self.password = password
        self.tls = tls
    }

    /// Parses an AMQP URL: `amqp[s]://[user[:password]@]host[:port][/vhost][?auth_mechanism=external]`.
    ///
    /// User, password and vhost are percent-decoded (`%2F` is `/`). No path, or an empty one,
    /// means the default vhost `/`. `amqps` turns on TLS with verification, using `tls` when
    /// given. The query may name `auth_mechanism` (`plain` or `external`, as in RabbitMQ's URI
    /// spec); other query parameters are ignored. Throws `AMQPError.Code.invalidConfiguration`;
    /// the error never quotes the password.
    public init(url: String, tls: TLS? = nil) throws {
        guard let schemeEnd = url.range(of: "://") else {
            throw Self.invalid("the URL has no scheme (expected amqp:// or amqps://)")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "amqp" || scheme == "amqps" else {
            throw Self.invalid("unsupported scheme '\(scheme)' (expected amqp or amqps)")
        }
        var rest = url[schemeEnd.upperBound...]
        var login = Login.plain
        if let fragment = rest.firstIndex(of: "#") {
            rest = rest[..<fragment]
        }
        if let queryStart = rest.firstIndex(of: "?") {
            login = try Self.login(fromQuery: rest[rest.index(after: queryStart)...])
            rest = rest[..<queryStart]
        }
        // The authority ends at the first "/" after the last "@", so that a password may
        // contain "/" only when percent-encoded, as RFC 3986 requires.
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]

        var user = "guest"
        var password = "guest"
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = try Self.decode(userInfo[..<colon], what: "user name")
                password = try Self.decode(userInfo[userInfo.index(after: colon)...], what: "password")
            } else {
                user = try Self.decode(userInfo, what: "user name")
                password = ""
            }
        }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            // IPv6 literal: [::1]:5672
            guard let close = authority.firstIndex(of: "]") else {
                throw Self.invalid("unterminated IPv6 address in host")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let afterClose = authority[authority.index(after: close)...]
            if afterClose.hasPrefix(":") {
                portText = afterClose.dropFirst()
            } else if !afterClose.isEmpty {
                throw Self.invalid("unexpected text after IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw Self.invalid("the URL has no host") }

        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                // Quoted only when it is digits: in `amqp://user:secret/vhost` (the `@host`
                // forgotten) the "port" is the password.
                if portText.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    throw Self.invalid("port '\(portText)' is not a number in 1...65535")
                }
                throw Self.invalid("the port is not a number in 1...65535 (is '@host' missing?)")
            }
            port = value
        }

        var virtualHost = "/"
        if path.count > 1 {
            let encoded = path.dropFirst()
            guard !encoded.contains("/") else {
                throw Self.invalid("the vhost must be one path segment; write '/' inside it as %2F")
            }
            virtualHost = try Self.decode(encoded, what: "vhost")
        }

        let useTLS = scheme == "amqps"
        if login == .external && !useTLS {
            throw Self.invalid("auth_mechanism=external needs TLS (an amqps:// URL and a client certificate)")
        }
        self.init(
            host: String(host), port: port, virtualHost: virtualHost, user: user, password: password,
            tls: useTLS ? (tls ?? TLS()) : nil)
        self.login = login
    }

    private static func login(fromQuery query: Substring) throws -> Login {
        var login = Login.plain
        for parameter in query.split(separator: "&") {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.first == "auth_mechanism" else { continue }
            let value = parts.count > 1 ? String(parts[1]).lowercased() : ""
            guard let mechanism = Login(rawValue: value) else {
                throw invalid("auth_mechanism must be plain or external, found '\(value)'")
            }
            login = mechanism
        }
        return login
    }

    /// The URL with the password replaced by `****`.
    public var maskedURL: String {
        let scheme = tls == nil ? "amqp" : "amqps"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let vhost =
            virtualHost == "/"
            ? ""
            : "/"
                + (virtualHost.addingPercentEncoding(
                    withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? virtualHost)
        if login == .external {
            return "\(scheme)://\(hostPart):\(port)\(vhost.isEmpty ? "/" : vhost)?auth_mechanism=external"
        }
        let userPart = user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user
        return "\(scheme)://\(userPart):****@\(hostPart):\(port)\(vhost)"
    }

    public var description: String { maskedURL }

    private static func decode(_ text: Substring, what: String) throws -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw invalid("the \(what) has a malformed percent-encoding")
        }
        return decoded
    }

    private static func invalid(_ reason: String) -> AMQPError {
        AMQPError(code: .invalidConfiguration, reason: "invalid AMQP URL: \(reason)")
    }
}
