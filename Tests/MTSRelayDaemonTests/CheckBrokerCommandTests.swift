import Foundation
import Testing

/// `mts-relay check-broker --config`: the broker of a configuration file, with its TLS settings,
/// through the real executable against the test broker's TLS listener.
@Suite("mts-relay check-broker --config")
struct CheckBrokerCommandTests {
    static func config(_ yaml: String) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "check-broker-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func aTLSBrokerIsCheckedWithTheFilesCertificateAuthority() async throws {
        let file = try Self.config(
            """
            broker:
              url: \(DaemonHarness.tlsBrokerURL)
            \(DaemonHarness.tlsSection())
            """)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await ExitStatusTests.relay(["check-broker", "--config", file.path, "--count", "5"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("connected to amqps://guest:****@localhost:5671"))
        #expect(run.standardOutput.hasSuffix("ok\n"))
    }

    @Test func anotherAuthorityIsRefusedWith69() async throws {
        let file = try Self.config(
            """
            broker:
              url: \(DaemonHarness.tlsBrokerURL)
            \(DaemonHarness.tlsSection(caFile: "untrusted-ca.pem"))
            """)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await ExitStatusTests.relay(["check-broker", "--config", file.path, "--count", "0"])
        #expect(run.status == 69)
        #expect(run.standardError.hasPrefix("mts-relay check-broker: amqps://guest:****@localhost:5671"))
    }

    @Test func anInvalidConfigurationExits78() async throws {
        let file = try Self.config("broker: {url: 'http://nope'}\n")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await ExitStatusTests.relay(["check-broker", "--config", file.path])
        #expect(run.status == 78)
        #expect(run.standardError.contains("broker.url: "))
    }
}
