import Foundation
import Logging
import PostgresNIO
import Testing

@testable import MTSCorrelation

/// TLS to the real PostgreSQL server (`scripts/start-postgresql.sh`: ssl = on with the test CA,
/// the server certificate for localhost and 127.0.0.1): sessions verified and encrypted, a
/// client-certificate login, and each refusal named.
@Suite(.timeLimit(.minutes(2))) struct PostgresTLSTests {
    /// The test server's password, for the URLs that log in.
    static let password = "mts_relay"
    /// A password no message may quote, for the URLs that are refused before any login.
    static let canary = "canary-\(UUID().uuidString.prefix(8))"
    static func url(_ query: String, host: String = "localhost", password: String = password) -> String {
        "postgresql://mts_relay:\(password)@\(host):5432/mts_relay?\(query)"
    }
    static let ca = TestPostgres.tlsFile("ca.pem")

    /// Whether the sessions whose application_name starts with `prefix` are encrypted, from
    /// `pg_stat_ssl`, read on a connection of the test's own.
    /// (Another role's application_name reads as null: `url` logs in as the sessions' role.)
    static func sessions(
        named prefix: String, as url: String = TestPostgres.url
    ) async throws -> [(name: String, ssl: Bool, clientDN: String?)] {
        try await TestPostgres.withConnection(url) { connection in
            let rows = try await connection.query(
                """
                SELECT a.application_name, s.ssl, s.client_dn FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                WHERE starts_with(a.application_name, \(String(prefix.utf8.prefix(63))!))
                """, logger: TestPostgres.logger)
            var sessions: [(String, Bool, String?)] = []
            for try await (name, ssl, clientDN) in rows.decode((String, Bool, String?).self) {
                sessions.append((name, ssl, clientDN))
            }
            return sessions
        }
    }

    /// The reason a store at `url` cannot be opened (it must not open).
    static func refusal(_ url: String) async throws -> String {
        do {
            try await TestPostgres.onOwnThread {
                try PostgresBackend(url: url, group: TestPostgres.uniqueGroup("tls-refused")).close()
            }
        } catch let error as CorrelationStoreError {
            guard case .cannotOpen(_, let reason) = error else { return "\(error)" }
            #expect(!"\(error)".contains(canary), "\(error)")
            return reason
        }
        Issue.record("\(url) was accepted")
        return ""
    }

    @Test func theStoreAndTheLeaseSessionsAreEncryptedUnderVerifyFull() async throws {
        let group = TestPostgres.uniqueGroup("tls")
        let url = Self.url("sslmode=verify-full&sslrootcert=\(Self.ca)")
        let lease = try await PostgresLease.connect(url: url, group: group, node: "a")
        let engine = try await CorrelationEngine(
            clock: ManualCorrelationClock(now: Fixtures.epoch), store: .postgres(url: url, group: group))
        let sessions = try await Self.sessions(named: "mts-relay \(group)")
        #expect(Set(sessions.map(\.name)).count == 2, "\(sessions)")
        #expect(sessions.count == 2 && sessions.allSatisfy { $0.ssl }, "\(sessions)")
        // A plain session of the same server, for contrast: pg_stat_ssl tells them apart.
        let plain = try await PostgresLease.connect(
            url: TestPostgres.plainURL, group: group + "-plain", node: "p")
        let plainSessions = try await Self.sessions(named: "mts-relay \(group)-plain")
        #expect(plainSessions.map(\.ssl) == [false])
        await plain.close()
        await lease.close()
        await engine.shutdown()
        await TestPostgres.drop(group: group)
    }

    @Test func aClientCertificateLogsInWithoutAPassword() async throws {
        let group = TestPostgres.uniqueGroup("tls-cert")
        let url =
            "postgresql://mts-relay-client@127.0.0.1:5432/mts_relay?sslmode=verify-full&sslrootcert=\(Self.ca)"
            + "&sslcert=\(TestPostgres.tlsFile("client.pem"))&sslkey=\(TestPostgres.tlsFile("client.key"))"
        let lease = try await PostgresLease.connect(url: url, group: group, node: "a")
        #expect(try await lease.tryAcquire(leaseMs: 1_000) != nil)
        let sessions = try await Self.sessions(named: "mts-relay \(group)", as: url)
        // The lease's session and the one reading pg_stat_ssl.
        #expect(sessions.map(\.clientDN) == ["/CN=mts-relay-client"], "\(sessions)")
        #expect(sessions.allSatisfy { $0.ssl })
        await lease.close()
        await TestPostgres.drop(group: group)
    }

    @Test func anUntrustedCAIsRefusedNamingTheCheckTheHostAndTheCAFile() async throws {
        let untrusted = TestPostgres.tlsFile("untrusted-ca.pem")
        let reason = try await Self.refusal(
            Self.url("sslmode=verify-full&sslrootcert=\(untrusted)", password: Self.canary))
        #expect(
            reason
                == "cannot connect: TLS: certificate verification failed for localhost:5432 (sslmode=verify-full): "
                + "the server's certificate does not chain to a trusted CA; the CA file is sslrootcert=\(untrusted)"
        )
        // verify-ca checks the chain as well; the lease says the same.
        do {
            _ = try await PostgresLease.connect(
                url: Self.url(
                    "sslmode=verify-ca&sslrootcert=\(untrusted)", host: "127.0.0.1", password: Self.canary),
                group: "unused", node: "a")
            Issue.record("the lease accepted an untrusted CA")
        } catch {
            #expect(
                "\(error)".contains("certificate verification failed for 127.0.0.1:5432 (sslmode=verify-ca)"))
            #expect(!"\(error)".contains(Self.canary))
        }
    }

    @Test func aNameTheCertificateDoesNotListIsRefusedUnderVerifyFullOnly() async throws {
        // The real server, its handshake and certificate untouched, reached at 127.0.0.2 under a
        // name: the certificate lists neither (NIOSSL also accepts a certificate that lists the
        // address connected to, so the address must differ from 127.0.0.1 as well).
        let relay = try await TCPRelay(listeningOn: "127.0.0.2", to: "127.0.0.1", port: 5432)
        let query = "hostaddr=127.0.0.2&sslrootcert=\(Self.ca)"
        let url = { (mode: String, password: String) in
            "postgresql://mts_relay:\(password)@db.test:\(relay.port)/mts_relay?sslmode=\(mode)&\(query)"
        }
        let reason = try await Self.refusal(url("verify-full", Self.canary))
        #expect(
            reason
                == "cannot connect: TLS: host-name verification failed for db.test (127.0.0.2):\(relay.port) "
                + "(sslmode=verify-full): the server's certificate does not name 'db.test' nor its address 127.0.0.2 "
                + "(connect by a name the certificate lists, or use sslmode=verify-ca)")
        // verify-ca takes any name: the chain is the test CA's.
        let group = TestPostgres.uniqueGroup("tls-ca")
        let lease = try await PostgresLease.connect(
            url: url("verify-ca", Self.password), group: group, node: "a")
        #expect(try await lease.tryAcquire(leaseMs: 1_000) != nil)
        await lease.close()
        await TestPostgres.drop(group: group)
        await relay.close()
    }

    @Test func anExpiredCertificateIsRefusedAsExpired() async throws {
        let listener = try await TLSOnlyPostgresListener(
            certificate: TestPostgres.tlsFile("expired.pem"), key: TestPostgres.tlsFile("expired.key"))
        let reason = try await Self.refusal(
            "postgresql://mts_relay:\(Self.canary)@localhost:\(listener.port)/mts_relay?sslmode=verify-full&sslrootcert=\(Self.ca)"
        )
        #expect(
            reason.hasPrefix(
                "cannot connect: TLS: certificate verification failed for localhost:\(listener.port) (sslmode=verify-full): "
                    + "the server's certificate has expired (notAfter "), "\(reason)")
        #expect(reason.hasSuffix("); the CA file is sslrootcert=\(Self.ca)"), "\(reason)")
        await listener.close()
    }

    @Test func aServerThatDeclinesTLSIsRefusedUnderRequire() async throws {
        // PostgreSQL never encrypts a Unix socket: it answers the SSLRequest there with N.
        let directory =
            ProcessInfo.processInfo.environment["MTS_RELAY_TEST_POSTGRES_SOCKET_DIR"] ?? "/var/run/postgresql"
        let reason = try await Self.refusal(
            "postgresql://mts_relay:\(Self.canary)@/mts_relay?host=\(directory)&sslmode=require")
        #expect(
            reason
                == "cannot connect: TLS: the server at \(directory)/.s.PGSQL.5432 does not speak TLS, and sslmode=require "
                + "requires it (it declined the SSLRequest: ssl = off on the server, or a Unix socket, which PostgreSQL "
                + "never encrypts)")
    }

    @Test func unusableFilesAreRefusedNamingTheParameter() async throws {
        let missing = "/nonexistent/ca.pem"
        let reason = try await Self.refusal(
            Self.url("sslmode=verify-full&sslrootcert=\(missing)", password: Self.canary))
        #expect(reason.hasPrefix("TLS: cannot read sslrootcert=\(missing)"), "\(reason)")
        // A key that is not the certificate's.
        let mismatched = try await Self.refusal(
            Self.url(
                "sslmode=verify-full&sslrootcert=\(Self.ca)&sslcert=\(TestPostgres.tlsFile("client.pem"))"
                    + "&sslkey=\(TestPostgres.tlsFile("untrusted-server.key"))", password: Self.canary))
        #expect(
            mismatched.hasPrefix(
                "TLS: cannot use sslcert=\(TestPostgres.tlsFile("client.pem")) with sslkey="
                    + "\(TestPostgres.tlsFile("untrusted-server.key")) (the key does not belong to the certificate?)"
            ),
            "\(mismatched)")
    }
}
