import NIOSSL
import PostgresNIO

/// How a store URL asks for TLS: libpq's `sslmode`, `sslrootcert`, `sslcert` and `sslkey`, with
/// libpq's meaning, so that an operator's existing URL works.
///
/// `prefer` and `allow` are refused: they fall back to a plain connection whenever the server,
/// or anyone between, says no, so they protect nothing. Without `sslmode`, a non-local host gets
/// `verify-full` (the password and every ticket's body cross the network) and a local one
/// (`localhost`, `127.0.0.1`, `::1`, a Unix socket) gets `disable`.
struct PostgresTLSSettings: Sendable, Hashable {
    /// libpq's `sslmode`, less the modes that are not security settings.
    enum Mode: String, Sendable, Hashable, CaseIterable {
        /// A plain connection.
        case disable
        /// TLS, without checking the server's certificate (libpq: unless a root CA is given,
        /// which makes it `verify-ca`).
        case require
        /// TLS, the certificate chained to the CA; any host name.
        case verifyCA = "verify-ca"
        /// TLS, the certificate chained to the CA and naming the host connected to.
        case verifyFull = "verify-full"
    }

    var mode: Mode
    /// The CA file (PEM); nil: the system's roots.
    var rootCertificateFile: String?
    /// The client certificate (PEM), for a certificate login.
    var certificateFile: String?
    /// The client certificate's key (PEM, unencrypted).
    var keyFile: String?

    /// The URL's parameters that name these settings.
    static let parameterNames: Set<String> = ["sslmode", "sslrootcert", "sslcert", "sslkey"]

    /// Reads the parameters of a URL to `host` (`local`: a loopback host or a Unix socket).
    init(parameters: [String: String], local: Bool) throws(PostgresURL.Invalid) {
        let mode: Mode
        if let text = parameters["sslmode"] {
            if text == "prefer" || text == "allow" {
                throw PostgresURL.Invalid(
                    reason:
                        "sslmode=\(text) is refused: it falls back to a plain connection whenever the server "
                        + "(or anyone in between) declines TLS, so it protects neither the password nor the "
                        + "data; use sslmode=verify-full (or say sslmode=disable or require outright)")
            }
            guard let known = Mode(rawValue: text) else {
                throw PostgresURL.Invalid(
                    reason:
                        "unknown sslmode '\(text)' (expected one of disable, require, verify-ca, verify-full)"
                )
            }
            mode = known
        } else {
            mode = local ? .disable : .verifyFull
        }
        for name in ["sslrootcert", "sslcert", "sslkey"] {
            if let value = parameters[name], value.isEmpty {
                throw PostgresURL.Invalid(reason: "\(name) is empty (expected the path of a PEM file)")
            }
        }
        let root = parameters["sslrootcert"].flatMap { $0 == "system" ? nil : $0 }
        let certificate = parameters["sslcert"]
        let key = parameters["sslkey"]
        if (certificate == nil) != (key == nil) {
            throw PostgresURL.Invalid(
                reason: "sslcert and sslkey go together: set both for a client certificate, or neither")
        }
        if mode == .disable,
            let name = ["sslrootcert", "sslcert", "sslkey"].first(where: { parameters[$0] != nil })
        {
            let why =
                parameters["sslmode"] == nil
                ? "sslmode defaults to disable for a local host; add sslmode=verify-full"
                : "sslmode=disable"
            throw PostgresURL.Invalid(reason: "\(name) has no effect without TLS (\(why))")
        }
        // libpq's rule: the system's roots vouch for any name a public CA signed, so only the
        // name check makes them mean something.
        if parameters["sslrootcert"] == "system", mode == .require || mode == .verifyCA {
            throw PostgresURL.Invalid(
                reason: "sslrootcert=system needs sslmode=verify-full (found sslmode=\(mode.rawValue))")
        }
        // libpq: with a root CA file, require checks the chain as verify-ca does.
        self.mode = mode == .require && root != nil ? .verifyCA : mode
        rootCertificateFile = root
        certificateFile = certificate
        self.keyFile = key
    }

    /// The settings as URL parameters, for messages (paths, never a secret).
    var query: String {
        var items = ["sslmode=\(mode.rawValue)"]
        if mode != .disable { items.append("sslrootcert=\(rootCertificateFile ?? "system")") }
        if let certificateFile, let keyFile { items += ["sslcert=\(certificateFile)", "sslkey=\(keyFile)"] }
        return items.joined(separator: "&")
    }

    /// Where the trusted CAs come from, for messages.
    var trustDescription: String {
        rootCertificateFile.map { "the CA file is sslrootcert=\($0)" } ?? "the CAs are the system's"
    }
}

extension PostgresTLSSettings {
    /// A CA, certificate or key file that cannot be used.
    struct FileProblem: Error, Sendable, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }

    /// postgres-nio's TLS for these settings: NIOSSL does the handshake and the checks.
    ///
    /// - Throws: ``FileProblem`` naming the URL parameter whose file cannot be read or used.
    func connectionTLS() throws(FileProblem) -> PostgresConnection.Configuration.TLS {
        guard mode != .disable else { return .disable }
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let rootCertificateFile {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMFile(rootCertificateFile)
            } catch {
                throw FileProblem(reason: "TLS: cannot read sslrootcert=\(rootCertificateFile): \(error)")
            }
            guard !roots.isEmpty else {
                throw FileProblem(reason: "TLS: sslrootcert=\(rootCertificateFile) holds no PEM certificate")
            }
            configuration.trustRoots = .certificates(roots)
        }
        if let certificateFile, let keyFile {
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map {
                    .certificate($0)
                }
            } catch {
                throw FileProblem(reason: "TLS: cannot read sslcert=\(certificateFile): \(error)")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw FileProblem(reason: "TLS: cannot read sslkey=\(keyFile): \(error)")
            }
        }
        do {
            return .require(try NIOSSLContext(configuration: configuration))
        } catch {
            guard let certificateFile, let keyFile else {
                throw FileProblem(reason: "TLS: cannot set up TLS: \(error)")
            }
            throw FileProblem(
                reason:
                    "TLS: cannot use sslcert=\(certificateFile) with sslkey=\(keyFile) (the key does not belong "
                    + "to the certificate?): \(error)")
        }
    }
}
