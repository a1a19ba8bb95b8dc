import Foundation
import TestSupport
import Testing

@testable import MTSRelayDaemon

/// The real daemon with an http sink in front of a real HTTP server started by the test.
@Suite("mts-relay run with an http sink", .serialized, .timeLimit(.minutes(3)))
struct HTTPSinkDaemonTests {
    /// The http sink's entry of `sinks:`, indented for `DaemonHarness(extraSinks:)`.
    static func sinkYAML(url: String, batchSize: Int, deadLetterPath: String, caFile: String? = nil) -> String
    {
        """
          - type: http
            name: hook
            url: \(url)
            batchSize: \(batchSize)
            timeoutMs: 2000
            headers: {X-Source: mts-relay-test}
            deadLetterPath: \(deadLetterPath)
            retry: {initialDelayMs: 100, maxDelayMs: 1000}
        """ + (caFile.map { "\n    tls: {caFile: \($0)}" } ?? "")
    }

    /// Publishes a ticket request, then its reply, for each id.
    static func publishPairs(_ ids: [String], to harness: DaemonHarness) async throws {
        try await harness.publishAll(
            ids.map { (body: MTSMessages.ticketRequest($0), queue: harness.intakeQueue, correlationID: $0) })
        try await harness.publishAll(
            ids.map { (body: MTSMessages.ticketReply($0), queue: harness.replyQueue, correlationID: $0) })
    }

    /// The reply queue's ready and unacknowledged messages, as the broker counts them.
    static func counts(of queue: String) async throws -> (ready: Int, unacknowledged: Int)? {
        let listing = try await RabbitMQControl.run([
            "list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged",
        ])
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count == 3, fields[0] == queue, let ready = Int(fields[1]), let unacked = Int(fields[2])
            {
                return (ready, unacked)
            }
        }
        return nil
    }

    /// An endpoint that answers 503 until `healthy` is set, then 200, collecting the
    /// correlation ids it accepted.
    static func switchableServer() async throws -> (
        server: TestHTTPServer, healthy: Locked<Bool>, accepted: Locked<[String]>
    ) {
        let healthy = Locked(false)
        let accepted = Locked<[String]>([])
        let server = try await TestHTTPServer { request in
            guard healthy.value else { return .init(status: 503) }
            accepted.withLock { $0 += request.correlationIds }
            return .init(status: 200)
        }
        return (server, healthy, accepted)
    }

    /// Polls the queue until it holds nothing, ready or unacknowledged.
    static func waitUntilDrained(_ queue: String, timeout: Duration) async throws {
        try await waitUntil("\(queue) drained", timeout: timeout, every: .milliseconds(250)) {
            guard let counts = try await counts(of: queue) else { return false }
            return counts.ready == 0 && counts.unacknowledged == 0
        }
    }

    @Test func aStopDuringAnOutageAcknowledgesTheRepliesAndARestartDeliversTheirRecords() async throws {
        let (server, healthy, accepted) = try await Self.switchableServer()
        let deadLetterPath = HTTPSinkTests.temporaryPath("daemon-dead.jsonl")
        let harness = try DaemonHarness(
            name: "http-stop",
            extraSinks: Self.sinkYAML(url: server.url, batchSize: 5, deadLetterPath: deadLetterPath),
            shutdownSeconds: 5)
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        do {
            try await harness.startAndWait()
            let ids = (0..<50).map { "\(harness.prefix)-\($0)" }
            try await Self.publishPairs(ids, to: harness)
            // The records are in the log: every reply is acknowledged and the file sink has
            // them all, while the http sink has none.
            try await Self.waitUntilDrained(harness.replyQueue, timeout: .seconds(30))
            _ = try await harness.waitForResults { $0.count >= 50 }
            #expect(accepted.value.isEmpty)

            // SIGTERM while the sink is still failing: the daemon stops within its bound.
            let (status, took) = try await harness.stop()
            #expect(status == 0)
            #expect(took < .seconds(9), "took \(took)")

            // The endpoint recovers; the restarted daemon's http reader goes on from its
            // cursor: every record arrives, and the file sink gets none twice.
            healthy.withLock { $0 = true }
            try await harness.startAndWait()
            try await waitUntil("every record at the endpoint", timeout: .seconds(60)) {
                Set(accepted.value) == Set(ids)
            }
            #expect(try harness.results().count == 50)
            print("http stop during an outage: SIGTERM took \(took)")
            _ = try await harness.stop()
        } catch {
            await harness.tearDown()
            await server.stop()
            throw error
        }
        await harness.tearDown()
        await server.stop()
    }

    /// An HTTPS endpoint with a certificate of the test CA: refused (logged, retried) while
    /// the sink trusts only another CA; delivered, every record, once it trusts the test CA.
    @Test func httpsWithACustomCAIsRefusedWhenUntrustedAndDeliversWhenTrusted() async throws {
        let accepted = Locked<[String]>([])
        let server = try await TestHTTPServer(
            tls: (DaemonHarness.tlsFile("server.pem"), DaemonHarness.tlsFile("server.key"))
        ) { request in
            accepted.withLock { $0 += request.correlationIds }
            return .init(status: 200)
        }
        #expect(server.url.hasPrefix("https://"))
        let deadLetterPath = HTTPSinkTests.temporaryPath("https-dead.jsonl")
        let harness = try DaemonHarness(
            name: "https",
            extraSinks: Self.sinkYAML(
                url: server.url, batchSize: 5, deadLetterPath: deadLetterPath,
                caFile: DaemonHarness.tlsFile("untrusted-ca.pem")),
            shutdownSeconds: 5)
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        do {
            try await harness.startAndWait()
            let ids = (0..<40).map { "\(harness.prefix)-\($0)" }
            try await Self.publishPairs(ids, to: harness)
            _ = try await harness.waitForResults { $0.count >= 40 }
            try await harness.waitForLog("CERTIFICATE_VERIFY_FAILED")
            try await letTimePass(
                .seconds(2), "retries for 2 s, against the sink's one refusal line per 5 s")
            #expect(accepted.value.isEmpty)
            // The failing sink holds up neither the file sink nor the acknowledgements.
            try await Self.waitUntilDrained(harness.replyQueue, timeout: .seconds(30))
            let refusals = harness.log.split(separator: "\n").filter {
                $0.contains("level=error") && $0.contains("hook") && $0.contains("CERTIFICATE_VERIFY_FAILED")
            }
            #expect(!refusals.isEmpty, "\(harness.log)")
            #expect(refusals.count <= 2, "one line per sink every 5 s: \(refusals)")

            _ = try await harness.stop()
            try harness.replaceInConfig(
                DaemonHarness.tlsFile("untrusted-ca.pem"), with: DaemonHarness.tlsFile("ca.pem"))
            try await harness.startAndWait()
            try await waitUntil("every record at the endpoint", timeout: .seconds(60)) {
                Set(accepted.value) == Set(ids)
            }
            _ = try await harness.stop()
        } catch {
            await harness.tearDown()
            await server.stop()
            throw error
        }
        await harness.tearDown()
        await server.stop()
    }

    @Test func aBadRequestParksTheRecordInTheDeadLetterFileAndAcksTheReply() async throws {
        let bad = Locked("")
        let accepted = Locked<[String]>([])
        let server = try await TestHTTPServer { request in
            if request.correlationIds.contains(bad.withLock { $0 }) {
                return .init(status: 400, body: #"{"error":"ticket rejected by the schema"}"#)
            }
            accepted.withLock { $0 += request.correlationIds }
            return .init(status: 200)
        }
        let deadLetterPath = HTTPSinkTests.temporaryPath("daemon-dead.jsonl")
        let harness = try DaemonHarness(
            name: "http-refused",
            extraSinks: Self.sinkYAML(url: server.url, batchSize: 1, deadLetterPath: deadLetterPath))
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        do {
            try await harness.startAndWait()
            let ids = (0..<5).map { "\(harness.prefix)-\($0)" }
            bad.withLock { $0 = ids[2] }
            try await Self.publishPairs(ids, to: harness)

            try await Self.waitUntilDrained(harness.replyQueue, timeout: .seconds(30))
            let parked = HTTPSinkTests.lines(deadLetterPath)
            try #require(parked.count == 1, "\(parked)")
            let record = try #require(
                try JSONSerialization.jsonObject(with: Data(parked[0].utf8)) as? [String: Any])
            #expect(record["correlationId"] as? String == ids[2])
            #expect(record["outcome"] as? String == "matched")
            #expect(Set(accepted.withLock { $0 }) == Set(ids).subtracting([ids[2]]))
            let errorLine = try #require(
                harness.log.split(separator: "\n").first {
                    $0.contains("level=error") && $0.contains("dead-letter")
                })
            #expect(errorLine.contains("status=400"))
            #expect(errorLine.contains("ticket rejected by the schema"))
            _ = try await harness.stop()
        } catch {
            await harness.tearDown()
            await server.stop()
            throw error
        }
        await harness.tearDown()
        await server.stop()
    }
}
