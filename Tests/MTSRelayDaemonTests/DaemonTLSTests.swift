import Foundation
import TestSupport
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
        func attempts(_ role: String) -> [Substring] {
            harness.log.split(separator: "\n").filter {
                $0.contains("Cannot connect to the broker; retrying") && $0.contains("role=\(role)")
            }
        }
        // Five attempts per consume loop: 0.75 to 3.1 s of backoff (100 ms doubling, jitter).
        try await waitUntil("five refused attempts of each consume loop", timeout: .seconds(30)) {
            attempts("intake").count >= 5 && attempts("replies").count >= 5
        }
        let log = harness.log
        #expect(harness.isRunning)
        #expect(!log.contains("mts-relay is ready"))

        for role in ["intake", "replies"] {
            let attempts = attempts(role)
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
            // One line per backoff step: step n waits between half and all of min(100·2ⁿ, 5000)
            // ms (the daemon's backoff), never a tight loop.
            for (step, delay) in delays.enumerated() {
                let ceiling = min(100 << min(step, 20), 5_000)
                #expect(
                    (ceiling / 2 - 1...ceiling + 1).contains(delay),
                    "\(role) attempt \(step): waited \(delay) ms, the backoff allows \(ceiling / 2)-\(ceiling)"
                )
            }
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
        try await harness.waitForLog("Cannot reach the lease's database")
        try await letTimePass(
            .seconds(3), "lease retries (every leaseMs/10 and more) inside the 10 s between two log lines")
        let log = harness.log
        #expect(harness.isRunning)
        #expect(log.contains("mts-relay is standing by"))
        let refusals = log.split(separator: "\n").filter { $0.contains("Cannot reach the lease's database") }
        // Logged at most once per 10 s while the lease is retried: one line so far.
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
