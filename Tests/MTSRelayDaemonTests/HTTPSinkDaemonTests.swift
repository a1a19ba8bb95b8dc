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

    @Test func anOutageHoldsRepliesUnacknowledgedAndLosesNothing() async throws {
        let outageEnds = Locked(ContinuousClock.now + .seconds(3600))
        let accepted = Locked<[String]>([])
        let server = try await TestHTTPServer { request in
            guard ContinuousClock.now >= outageEnds.withLock({ $0 }) else {
                return .init(status: 503, headers: [("Retry-After", "1")], body: "down for maintenance")
            }
            accepted.withLock { $0 += request.correlationIds }
            return .init(status: 200)
        }
        let deadLetterPath = HTTPSinkTests.temporaryPath("daemon-dead.jsonl")
        let harness = try DaemonHarness(
            name: "http-outage",
            extraSinks: Self.sinkYAML(url: server.url, batchSize: 10, deadLetterPath: deadLetterPath))
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        do {
            try await harness.startAndWait()
            let ids = (0..<300).map { "\(harness.prefix)-\($0)" }
            try await harness.publishAll(
                ids.map {
                    (body: MTSMessages.ticketRequest($0), queue: harness.intakeQueue, correlationID: $0)
                })
            let outageStart = ContinuousClock.now
            outageEnds.withLock { $0 = outageStart + .seconds(10) }
            try await harness.publishAll(
                ids.map { (body: MTSMessages.ticketReply($0), queue: harness.replyQueue, correlationID: $0) })

            // During the outage: the file sink is not held back by the failing http sink...
            let outageEnd = outageStart + .seconds(10)
            _ = try await harness.waitForResults(timeout: .seconds(9)) { !$0.isEmpty }
            #expect(ContinuousClock.now < outageEnd, "the file sink got nothing during the outage")
            // ...but no reply is acknowledged: at most a prefetch (200) of them is with the
            // daemon, unacknowledged, and the broker keeps the rest ready. Only samples that
            // came back well before the outage's end count.
            var samples: [(ready: Int, unacknowledged: Int)] = []
            while ContinuousClock.now < outageStart + .seconds(8) {
                let counts = try await Self.counts(of: harness.replyQueue)
                if let counts, ContinuousClock.now < outageEnd - .milliseconds(500) { samples.append(counts) }
                try await letTimePass(.milliseconds(500), "sampling the queue during the 10 s outage")
            }
            try #require(!samples.isEmpty)
            for sample in samples {
                #expect(sample.ready + sample.unacknowledged == 300, "\(sample)")
                #expect(sample.unacknowledged <= 200, "\(sample)")
            }
            #expect(samples.contains { $0.unacknowledged > 0 }, "\(samples)")
            print("http outage: reply queue (ready, unacknowledged) during the outage: \(samples)")
            #expect(harness.log.contains("Sink failed; retrying"))

            // After the outage: everything arrives by itself and every reply is acknowledged.
            try await Self.waitUntilDrained(harness.replyQueue, timeout: .seconds(60))
            let arrived = accepted.withLock { $0 }
            #expect(Set(arrived) == Set(ids))
            // Duplicates only for redelivered records; nothing was redelivered here.
            #expect(arrived.count == ids.count)
            #expect(HTTPSinkTests.lines(deadLetterPath).isEmpty)
            let recoveredAfter = ContinuousClock.now - outageStart
            let retryLines = harness.log.components(separatedBy: "Sink failed; retrying").count - 1
            print(
                "http outage: 10 s of 503, drained \(recoveredAfter) after the outage started;"
                    + " \(retryLines) retry log lines")
            let results = try harness.results()
            #expect(Set(results.compactMap { $0["correlationId"] as? String }) == Set(ids))
            _ = try await harness.stop()
        } catch {
            await harness.tearDown()
            await server.stop()
            throw error
        }
        await harness.tearDown()
        await server.stop()
    }

    @Test func timeoutsWaitInABoundedQueueDuringAnOutageAndAllArriveAfterIt() async throws {
        let (server, healthy, accepted) = try await Self.switchableServer()
        let deadLetterPath = HTTPSinkTests.temporaryPath("daemon-dead.jsonl")
        // The result loop and the http sink's lane hold at most ResultLoop.heldResultsBound
        // results; the engine's queue holds 50 more. Of the timeouts, the rest must wait as
        // pending requests in the table.
        let requests = ResultLoop.heldResultsBound + 1_000
        let queueBound = 50
        let harness = try DaemonHarness(
            name: "http-timeouts", timeouts: "  ticket-cancel: 300", engine: "  resultQueue: \(queueBound)",
            extraSinks: Self.sinkYAML(url: server.url, batchSize: 50, deadLetterPath: deadLetterPath),
            extraYAML: "metrics:\n  intervalSeconds: 1", logFormat: "json")
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        do {
            try await harness.startAndWait()
            let ids = (0..<requests).map { "\(harness.prefix)-\($0)" }
            // Half are past their deadline when they arrive (as after an intake backlog): they
            // time out as they are registered, and are bounded all the same.
            let now = MTSMessages.nowMilliseconds()
            try await harness.publishAll(
                ids.enumerated().map { index, id in
                    let timestamp = index.isMultiple(of: 2) ? now - 1_000 : now
                    return (
                        body: MTSMessages.cancelRequest(id, timestamp: timestamp), queue: harness.intakeQueue,
                        correlationID: id
                    )
                })

            // Every deadline passes; the metrics lines (one a second) show the result queue full
            // and the timeouts that found no room still pending.
            var lines: [[String: Any]] = []
            try await waitUntil("a full result queue with the rest pending", timeout: .seconds(30)) {
                lines = MetricsLineTests.metricsLines(harness.log)
                return lines.contains {
                    $0["queuedResults"] as? Int == queueBound
                        && ($0["pending"] as? Int ?? 0) >= requests - ResultLoop.heldResultsBound - queueBound
                }
            }
            let queued = lines.compactMap { $0["queuedResults"] as? Int }
            let pending = lines.compactMap { $0["pending"] as? Int }
            print("timeouts during an outage: queuedResults \(queued), pending \(pending)")
            try #require(!queued.isEmpty)
            #expect(queued.allSatisfy { $0 <= queueBound }, "the result queue grew past its bound: \(queued)")
            #expect(queued.contains(queueBound), "the result queue never filled: \(queued)")
            // The timeouts that found no room are still pending in the table.
            #expect(
                pending.contains { $0 >= requests - ResultLoop.heldResultsBound - queueBound },
                "timeouts were not held back: \(pending)")
            #expect(accepted.value.isEmpty)

            // The endpoint recovers: every timeout arrives, once.
            healthy.withLock { $0 = true }
            try await waitUntil("every timeout at the endpoint", timeout: .seconds(60)) {
                accepted.value.count >= requests
            }
            let arrived = accepted.value
            #expect(arrived.count == requests)
            #expect(Set(arrived) == Set(ids))
            let records = try await harness.waitForResults { $0.count >= requests }
            #expect(records.allSatisfy { $0["outcome"] as? String == "timeout" })
            _ = try await harness.stop()
        } catch {
            await harness.tearDown()
            await server.stop()
            throw error
        }
        await harness.tearDown()
        await server.stop()
    }

    @Test func aStopDuringAnOutageKeepsTheRepliesAndARestartDeliversThem() async throws {
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
            // Every reply is with the relay, none acknowledged: the file sink has records, the
            // http sink none (how many reach the file sink depends on how the results were
            // batched: the failing sink's lane holds at most 9 batches before the result loop
            // waits).
            try await waitUntil(
                "all 50 replies held unacknowledged", timeout: .seconds(30), every: .milliseconds(250)
            ) {
                try await Self.counts(of: harness.replyQueue)?.unacknowledged == 50
            }
            _ = try await harness.waitForResults { !$0.isEmpty }
            #expect(accepted.value.isEmpty)

            // SIGTERM while the sink is still failing: the daemon stops within its bound and
            // leaves every reply to the broker.
            let (status, took) = try await harness.stop()
            #expect(status == 0)
            #expect(took < .seconds(9), "took \(took)")
            let left = try #require(try await Self.counts(of: harness.replyQueue))
            #expect(left.ready == 50 && left.unacknowledged == 0, "\(left)")

            // The endpoint recovers; the restarted daemon delivers everything.
            healthy.withLock { $0 = true }
            try await harness.startAndWait()
            try await Self.waitUntilDrained(harness.replyQueue, timeout: .seconds(60))
            #expect(Set(accepted.value) == Set(ids))
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
            let held = try #require(try await Self.counts(of: harness.replyQueue))
            #expect(held.unacknowledged == 40, "\(held)")
            let refusals = harness.log.split(separator: "\n").filter {
                $0.contains("level=error") && $0.contains("hook") && $0.contains("CERTIFICATE_VERIFY_FAILED")
            }
            #expect(!refusals.isEmpty, "\(harness.log)")
            #expect(refusals.count <= 2, "one line per sink every 5 s: \(refusals)")

            _ = try await harness.stop()
            try harness.replaceInConfig(
                DaemonHarness.tlsFile("untrusted-ca.pem"), with: DaemonHarness.tlsFile("ca.pem"))
            try await harness.startAndWait()
            try await Self.waitUntilDrained(harness.replyQueue, timeout: .seconds(60))
            #expect(Set(accepted.value) == Set(ids))
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
