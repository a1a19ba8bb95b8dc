import AMQPClient
import Foundation
import TestSupport
import Testing

/// TLS against the broker's real TLS listener (127.0.0.1:5671, the test CA of
/// `scripts/make-test-certs.sh`), and against `openssl s_server` presenting the certificates a
/// broker must not be trusted with (expired, another host's). The round trip, 10 000 acks,
/// 10 000 confirms, heartbeats and `close_connection` run over TLS in `AMQPIntegrationTests`
/// (their `tls` arguments).
@Suite("AMQP client over TLS", .timeLimit(.minutes(2)))
struct AMQPTLSTests {
    /// Refusals must come back fast, never as a hang.
    static let refusalBound: Duration = .seconds(5)

    @Test func externalLoginWithTheClientCertificate() async throws {
        let name = TestBroker.uniqueName("external")
        var configuration = try AMQPConnectionConfiguration(
            url: "amqps://localhost:5671/?auth_mechanism=external",
            tls: .init(
                caFile: TestBroker.tlsFile("ca.pem"), certificateFile: TestBroker.tlsFile("client.pem"),
                keyFile: TestBroker.tlsFile("client.key")))
        configuration.connectionName = name
        #expect(configuration.login == .external)
        #expect(configuration.description == "amqps://localhost:5671/?auth_mechanism=external")
        let connection = try await AMQPConnection.connect(configuration, logger: TestBroker.logger)
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel(publisherConfirms: true)
        let queue = TestBroker.uniqueName("externalq")
        try await channel.declareQueue(queue, durable: false, autoDelete: true)
        #expect(try await channel.publish(Array("by certificate".utf8), routingKey: queue) == .acked)
        let delivery = try #require(try await channel.consume(queue: queue).first())
        #expect(delivery.body == Array("by certificate".utf8))
        delivery.ack()

        // The broker took the user from the certificate's common name, by EXTERNAL, over TLS.
        let listing = try await RabbitMQControl.run([
            "list_connections", "-q", "--no-table-headers", "user", "auth_mechanism", "ssl",
            "client_properties",
        ])
        let line = try #require(listing.split(separator: "\n").first { $0.contains("\"\(name)\"") })
        let fields = line.split(separator: "\t").map(String.init)
        #expect(Array(fields.prefix(3)) == ["mts-relay-client", "EXTERNAL", "true"])
    }

    @Test func brokerCertificateFromAnUntrustedCAIsRefused() async throws {
        // The broker's certificate is the test CA's; the client trusts only the other CA.
        let error = try await refusal(
            TestBroker.tlsURL, tls: .init(caFile: TestBroker.tlsFile("untrusted-ca.pem")))
        #expect(error.code == .tlsFailed)
        #expect(error.reason.contains("certificate verification failed for localhost:5671"))
        // The broker sends the test CA along with its certificate.
        #expect(error.reason.contains("self-signed certificate in certificate chain"))
        #expect(!error.description.contains("guest:guest"))
    }

    @Test func serverCertificateSignedByAnotherCAIsRefused() async throws {
        let server = try await OpenSSLServer.start(certificate: "untrusted-server")
        defer { server.stop() }
        let error = try await refusal(
            "amqps://guest:guest@localhost:\(server.port)/", tls: TestBroker.testCA)
        #expect(error.code == .tlsFailed)
        #expect(error.reason.contains("certificate verification failed for localhost:\(server.port)"))
        #expect(error.reason.contains("unable to get local issuer certificate"))
    }

    @Test func expiredBrokerCertificateIsRefusedAsExpired() async throws {
        let server = try await OpenSSLServer.start(certificate: "expired")
        defer { server.stop() }
        let error = try await refusal(
            "amqps://guest:guest@localhost:\(server.port)/", tls: TestBroker.testCA)
        #expect(error.code == .tlsFailed)
        #expect(error.reason.contains("certificate verification failed for localhost:\(server.port)"))
        #expect(error.reason.contains("certificate has expired"))
    }

    @Test func hostNameThatTheCertificateDoesNotListIsRefused() async throws {
        // Signed by the test CA (so the chain verifies) for wrong-host.invalid only.
        let server = try await OpenSSLServer.start(certificate: "wronghost")
        defer { server.stop() }
        let error = try await refusal(
            "amqps://guest:guest@localhost:\(server.port)/", tls: TestBroker.testCA)
        #expect(error.code == .tlsFailed)
        #expect(error.reason.contains("host-name verification failed for localhost:\(server.port)"))
        #expect(error.reason.contains("does not name 'localhost'"))

        // With verifyHostname: false the TLS handshake succeeds; what fails then is the AMQP
        // handshake (s_server is no broker: it never answers, hence the short timeout), which
        // is not a TLS error.
        var tls = TestBroker.testCA
        tls.verifyHostname = false
        let past = try await refusal(
            "amqps://guest:guest@localhost:\(server.port)/", tls: tls, connectTimeout: .seconds(2))
        #expect(past.code == .connectionFailed)
        #expect(past.reason.contains("AMQP handshake with localhost:\(server.port) failed"))
    }

    @Test func brokerConnectionWithHostNameVerificationOff() async throws {
        // Verification of the chain stays on; only the name check is off.
        var tls = TestBroker.testCA
        tls.verifyHostname = false
        var configuration = try AMQPConnectionConfiguration(url: TestBroker.tlsURL, tls: tls)
        configuration.connectionName = TestBroker.uniqueName("nohostcheck")
        let connection = try await AMQPConnection.connect(configuration, logger: TestBroker.logger)
        #expect(connection.isOpen)
        await connection.close()
    }

    @Test func clientKeyThatDoesNotMatchItsCertificateIsRefused() async throws {
        let error = try await refusal(
            TestBroker.tlsURL,
            tls: .init(
                caFile: TestBroker.tlsFile("ca.pem"), certificateFile: TestBroker.tlsFile("client.pem"),
                keyFile: TestBroker.tlsFile("untrusted-server.key")))
        #expect(error.code == .tlsFailed)
        #expect(error.reason.contains("the key does not match the certificate"))
        #expect(error.reason.contains("key values mismatch"))
        #expect(error.reason.contains("(for localhost:5671)"))
    }

    @Test func plainURLAtTheTLSPortIsRefusedWithAHint() async throws {
        let tlsPort = try AMQPConnectionConfiguration(url: TestBroker.tlsURL).port
        let error = try await refusal("amqp://guest:guest@localhost:\(tlsPort)/", tls: nil)
        #expect(error.code == .connectionFailed)
        #expect(error.reason.contains("localhost:\(tlsPort)"))
        #expect(error.reason.contains("use an amqps:// URL"))
    }

    @Test func tlsURLAtThePlainPortIsRefusedWithAHint() async throws {
        let plain = try AMQPConnectionConfiguration(url: TestBroker.url)
        let error = try await refusal(
            "amqps://guest:guest@localhost:\(plain.port)/", tls: TestBroker.testCA)
        #expect(error.code == .tlsFailed)
        #expect(error.reason.contains("handshake with localhost:\(plain.port) failed"))
        // From OpenSSL's reason code (wrong version number), not its words.
        #expect(error.reason.contains("is \(plain.port) a plain AMQP port? use amqp://"))
    }

    /// Connects, expects an `AMQPError` within `refusalBound`, and returns it.
    private func refusal(
        _ url: String, tls: AMQPConnectionConfiguration.TLS?, connectTimeout: Duration = .seconds(10)
    ) async throws -> AMQPError {
        var configuration = try AMQPConnectionConfiguration(url: url, tls: tls)
        configuration.connectTimeout = connectTimeout
        configuration.connectionName = TestBroker.uniqueName("refused")
        let started = ContinuousClock.now
        do {
            let connection = try await AMQPConnection.connect(configuration, logger: TestBroker.logger)
            await connection.close()
            throw TLSTestFailure("the connection to \(configuration) was not refused")
        } catch let error as AMQPError {
            let took = ContinuousClock.now - started
            #expect(took < Self.refusalBound, "refused after \(took): \(error)")
            return error
        }
    }
}

struct TLSTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `openssl s_server` on a free loopback port, presenting one of the test certificates: a real
/// TLS peer for the certificates the broker cannot present next to its own.
final class OpenSSLServer: Sendable {
    let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// Starts the server and waits (without blocking a thread) until its port accepts.
    /// - Parameter certificate: the base name of a pair in the test folder (`expired`).
    static func start(certificate: String) async throws -> OpenSSLServer {
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "s_server", "-quiet", "-accept", "127.0.0.1:\(port)",
            "-cert", TestBroker.tlsFile("\(certificate).pem"), "-key",
            TestBroker.tlsFile("\(certificate).key"),
        ]
        process.standardInput = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = OpenSSLServer(port: port, process: process)
        do {
            try await waitUntil("openssl s_server listening on 127.0.0.1:\(port)", timeout: .seconds(5)) {
                LoopbackPort.accepts(port)
            }
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    /// SIGKILL: a child of the test process does not end on SIGTERM (Foundation's Process
    /// starts it with that signal blocked).
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
