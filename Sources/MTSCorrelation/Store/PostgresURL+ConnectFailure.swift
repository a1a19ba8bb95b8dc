import Foundation
import NIOCore
import NIOSSL
import PostgresNIO

extension PostgresURL {
    /// Why connecting to this URL failed, for a log line: a refused TLS check is named (the
    /// check, the endpoint, the sslmode, the CA), anything else is
    /// ``PostgresBackend/reason(_:)``. Never quotes the password.
    ///
    /// A failed chain check connects once more (``PostgresCertificateProbe``) to tell an
    /// expired certificate from an untrusted one: blocks for up to a few seconds.
    func connectFailureReason(_ error: any Error) -> String {
        switch TLSRefusal(error) {
        case .chain:
            let leaf = try? PostgresCertificateProbe.leafCertificate(of: self).wait()
            return chainRefusal(leaf: leaf ?? nil)
        case let refusal?:
            return describe(refusal)
        case nil:
            return PostgresBackend.reason(error)
        }
    }

    /// ``connectFailureReason(_:)`` for async callers: suspends, blocks no thread.
    func connectFailureReason(_ error: any Error) async -> String {
        switch TLSRefusal(error) {
        case .chain:
            let leaf = try? await PostgresCertificateProbe.leafCertificate(of: self).get()
            return chainRefusal(leaf: leaf ?? nil)
        case let refusal?:
            return describe(refusal)
        case nil:
            return PostgresBackend.reason(error)
        }
    }

    /// A TLS check that refused the server.
    enum TLSRefusal: Equatable {
        /// The certificate chain did not verify (untrusted CA, expired, not yet valid, ...).
        case chain
        /// The certificate does not name the host.
        case hostName
        /// The server answered the SSLRequest with "no TLS".
        case noTLS
        /// Any other failure of the TLS handshake (its words).
        case handshake(String)

        init?(_ error: any Error) {
            let underlying = (error as? PSQLError).flatMap { $0.underlying } ?? error
            if let error = error as? PSQLError, error.code == .sslUnsupported {
                self = .noTLS
            } else if let extra = underlying as? NIOSSLExtraError, extra == .failedToValidateHostname {
                self = .hostName
            } else if let ssl = underlying as? NIOSSLError {
                if case .handshakeFailed(let reason) = ssl, "\(reason)".contains("CERTIFICATE_VERIFY_FAILED")
                {
                    self = .chain
                } else {
                    self = .handshake("\(ssl)")
                }
            } else if underlying is NIOSSLExtraError || underlying is BoringSSLError {
                self = .handshake("\(underlying)")
            } else {
                return nil
            }
        }
    }

    private var mode: String { "sslmode=\(tls.mode.rawValue)" }

    private func describe(_ refusal: TLSRefusal) -> String {
        switch refusal {
        case .chain:
            chainRefusal(leaf: nil)
        case .hostName:
            "TLS: host-name verification failed for \(endpoint) (\(mode)): the server's certificate does not "
                + "name '\(host)'\(hostAddress.map { " nor its address \($0)" } ?? "") (connect by a name the "
                + "certificate lists, or use sslmode=verify-ca)"
        case .noTLS:
            "TLS: the server at \(endpoint) does not speak TLS, and \(mode) requires it (it declined the "
                + "SSLRequest: ssl = off on the server, or a Unix socket, which PostgreSQL never encrypts)"
        case .handshake(let words):
            "TLS: handshake with \(endpoint) failed (\(mode)): \(words)"
        }
    }

    /// The refusal of a chain that did not verify, with why when the leaf certificate says so.
    private func chainRefusal(leaf: NIOSSLCertificate?) -> String {
        let now = time(nil)
        let why: String
        if let leaf, leaf.notValidAfter < now {
            why = "the server's certificate has expired (notAfter \(Self.utc(leaf.notValidAfter)))"
        } else if let leaf, leaf.notValidBefore > now {
            why = "the server's certificate is not valid yet (notBefore \(Self.utc(leaf.notValidBefore)))"
        } else if leaf != nil {
            why = "the server's certificate does not chain to a trusted CA"
        } else {
            why = "the server's certificate does not verify (untrusted CA, expired or not yet valid)"
        }
        return
            "TLS: certificate verification failed for \(endpoint) (\(mode)): \(why); \(tls.trustDescription)"
    }

    private static func utc(_ time: time_t) -> String {
        Date(timeIntervalSince1970: TimeInterval(time)).ISO8601Format()
    }
}
