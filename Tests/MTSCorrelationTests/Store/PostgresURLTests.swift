import Testing

@testable import MTSCorrelation

/// The store URL's TLS parameters, as libpq reads them (no server needed).
@Suite struct PostgresURLTests {
    static func problem(_ url: String) -> String? { StoreLocation.postgresURLProblem(url) }

    @Test func aRemoteHostDefaultsToVerifyFullAndALocalOneToDisable() throws {
        #expect(try PostgresURL("postgresql://relay@db.example/mts").tls.mode == .verifyFull)
        #expect(try PostgresURL("postgresql://relay@10.0.0.7:6432/mts").tls.mode == .verifyFull)
        for local in ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"] {
            #expect(try PostgresURL("postgresql://relay@\(local)/mts").tls.mode == .disable, "\(local)")
        }
        let socket = try PostgresURL("postgresql://relay@/mts?host=/var/run/postgresql")
        #expect(socket.tls.mode == .disable)
        #expect(socket.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        // A local name reached at a remote address is not local.
        #expect(try PostgresURL("postgresql://relay@localhost/mts?hostaddr=10.0.0.7").tls.mode == .verifyFull)
    }

    @Test func theModesReadAsLibpqReadsThem() throws {
        for mode in PostgresTLSSettings.Mode.allCases {
            #expect(
                try PostgresURL("postgresql://relay@db.example/mts?sslmode=\(mode.rawValue)").tls.mode == mode
            )
        }
        // libpq: with a root CA file, require checks the chain (verify-ca).
        let require = try PostgresURL(
            "postgresql://relay@db.example/mts?sslmode=require&sslrootcert=/etc/ca.pem")
        #expect(require.tls.mode == .verifyCA)
        #expect(require.tls.rootCertificateFile == "/etc/ca.pem")
        // sslrootcert=system: the system's roots, as libpq 16 spells it.
        #expect(
            try PostgresURL("postgresql://relay@db.example/mts?sslrootcert=system").tls.rootCertificateFile
                == nil)
        let client = try PostgresURL("postgresql://relay@db.example/mts?sslcert=/c.pem&sslkey=/c.key")
        #expect(client.tls.certificateFile == "/c.pem" && client.tls.keyFile == "/c.key")
    }

    @Test func preferAndAllowAreRefusedWithTheReason() {
        for mode in ["prefer", "allow"] {
            let reason = Self.problem("postgresql://relay:hunter2@db.example/mts?sslmode=\(mode)")
            #expect(reason?.contains("sslmode=\(mode) is refused") == true)
            #expect(reason?.contains("falls back to a plain connection") == true)
            #expect(reason?.contains("hunter2") == false)
        }
    }

    @Test func contradictoryOrIncompleteParametersAreRefusedNamingTheParameter() {
        let cases: [(String, String)] = [
            ("sslmode=verify", "unknown sslmode 'verify'"),
            ("sslcert=/c.pem", "sslcert and sslkey go together"),
            ("sslkey=/c.key", "sslcert and sslkey go together"),
            ("sslrootcert=", "sslrootcert is empty"),
            (
                "sslmode=disable&sslrootcert=/ca.pem",
                "sslrootcert has no effect without TLS (sslmode=disable)"
            ),
            ("sslmode=require&sslmode=disable", "'sslmode' is given twice"),
            ("sslcompression=1", "unsupported URL parameter 'sslcompression'"),
            ("hostaddr=db.internal", "hostaddr must be a numeric IP address"),
            ("sslmode=verify-ca&sslrootcert=system", "sslrootcert=system needs sslmode=verify-full"),
        ]
        for (query, expected) in cases {
            let reason = Self.problem("postgresql://relay:hunter2@db.example/mts?\(query)")
            #expect(reason?.contains(expected) == true, "\(query): \(reason ?? "accepted")")
            #expect(reason?.contains("hunter2") == false)
        }
        // A CA for a local host, whose default is disable: the operator meant TLS; say how.
        #expect(
            Self.problem("postgresql://relay@localhost/mts?sslrootcert=/ca.pem")?.contains(
                "sslmode defaults to disable for a local host; add sslmode=verify-full") == true)
    }

    @Test func theMaskedURLSpellsOutTheResolvedTLSSettings() {
        #expect(
            StoreLocation.maskedPostgresURL("postgresql://relay:hunter2@db.example/mts")
                == "postgresql://relay:****@db.example:5432/mts?sslmode=verify-full&sslrootcert=system")
        #expect(
            StoreLocation.maskedPostgresURL(
                "postgresql://relay@db.example/mts?sslmode=verify-ca&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/c.key"
            )
                == "postgresql://relay@db.example:5432/mts?sslmode=verify-ca&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/c.key"
        )
        #expect(
            StoreLocation.maskedPostgresURL("postgresql://relay@127.0.0.1/mts")
                == "postgresql://relay@127.0.0.1:5432/mts?sslmode=disable")
        #expect(
            StoreLocation.maskedPostgresURL("postgresql://relay@db.test/mts?hostaddr=127.0.0.1")
                == "postgresql://relay@db.test:5432/mts?sslmode=verify-full&sslrootcert=system&hostaddr=127.0.0.1"
        )
    }
}
