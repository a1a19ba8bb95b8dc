import Foundation
import Testing

/// The daemon against a TLS broker it must not trust: it says why once per backoff step,
/// keeps retrying, and never reports ready. (Over a trusted TLS broker: the kill -9 suite in
/// `DaemonResilienceTests` and the AMQP sink in `AMQPSinkTests` run with `overTLS`.) And
/// against a PostgreSQL store it must not trust: it stands by, says why, and never becomes
/// active. (Over a trusted one: `DaemonHighAvailabilityTests`.)
@Suite("mts-relay run against a TLS broker it refuses", .timeLimit(.minutes(2)))
struct DaemonTLSTests {
    @Test func untrustedBrokerCertificateIsLoggedOncePerBackoffStepAndNeverReady() async throws {
        let harness = try DaemonHarness(
            name: "tlsrefused", brokerURL: DaemonHarness.tlsBrokerURL,
            brokerYAML: DaemonHarness.tlsSection(caFile: "untrusted-ca.pem"))
        try harness.start()
        try await Task.sleep(for: .seconds(8))
        let log = harness.log
        #expect(harness.isRunning)
        #expect(!log.contains("mts-relay is ready"))

        for role in ["intake", "replies"] {
            let attempts = log.split(separator: "\n").filter {
                $0.contains("Cannot connect to the broker; retrying") && $0.contains("role=\(role)")
            }
            // Backoff from 100 ms doubling to 5 s (with jitter down to half): in 8 s at least 4
            // attempts and at most 11, where full speed would be thousands.
            #expect((4...11).contains(attempts.count), "\(role): \(attempts.count) attempts\n\(log)")
            #expect(
                attempts.allSatisfy {
                    $0.contains("certificate verification failed for localhost:5671")
                        && $0.contains("self-signed certificate in certificate chain")
                        && $0.contains("untrusted-ca.pem")
                }, "\(log)")
            let delays = attempts.compactMap { line in
                line.split(separator: " ").first { $0.hasPrefix("retryInMs=") }.flatMap {
                    Int($0.dropFirst("retryInMs=".count))
                }
            }
            #expect(delays.count == attempts.count)
            // Each step's ceiling doubles: the last wait is longer than the first.
            #expect((delays.last ?? 0) > (delays.first ?? 0) * 4, "\(delays)")
        }
        #expect(!log.contains("guest:guest"))
        _ = try await harness.stop()
        await harness.tearDown()
    }

    @Test func aStoreWhoseCertificateDoesNotChainToTheCAIsRefusedAndTheRelayNeverBecomesActive() async throws
    {
        let canary = "canary-\(UUID().uuidString.prefix(8))"
        let untrusted = DaemonHarness.tlsFile("untrusted-ca.pem")
        let harness = try DaemonHarness(
            name: "pgtlsrefused", extraYAML: "ha:\n  group: GROUP\n  node: a\n",
            store:
                "  url: postgresql://mts_relay:\(canary)@localhost:5432/mts_relay?sslmode=verify-full&sslrootcert=\(untrusted)"
        )
        try harness.replaceInConfig("GROUP", with: harness.prefix)
        try harness.start()
        try await Task.sleep(for: .seconds(4))
        let log = harness.log
        #expect(harness.isRunning)
        #expect(log.contains("mts-relay is standing by"))
        let refusals = log.split(separator: "\n").filter { $0.contains("Cannot reach the lease's database") }
        // Logged at most once per 10 s while the lease is retried: one line in 4 s.
        #expect(refusals.count == 1, "\(log)")
        #expect(
            refusals.allSatisfy {
                $0.contains(
                    "TLS: certificate verification failed for localhost:5432 (sslmode=verify-full): the server's "
                        + "certificate does not chain to a trusted CA; the CA file is sslrootcert=\(untrusted)"
                )
            }, "\(log)")
        #expect(!log.contains("Took the group's lease"))
        #expect(!log.contains("mts-relay is ready"))
        #expect(!log.contains(canary))
        _ = try await harness.stop()
        await harness.tearDown()
    }
}
