import Foundation
import TestSupport
import Testing

@testable import MTSRelayDaemon

/// The log of results with the real daemon, a real broker and a real HTTP server: each sink
/// reads the log at its own pace, so a failing http sink holds up neither the file sink nor the
/// acknowledgements, unless it is required and past its `maxBacklog`.
@Suite("sinks that progress on their own", .serialized, .timeLimit(.minutes(4)))
struct SinkIsolationTests {
    /// An http sink entry with the log's keys.
    static func sinkYAML(
        url: String, deadLetterPath: String, required: Bool = true, maxBacklog: Int = 100_000
    )
        -> String
    {
        HTTPSinkDaemonTests.sinkYAML(url: url, batchSize: 50, deadLetterPath: deadLetterPath)
            + "\n    required: \(required)\n    maxBacklog: \(maxBacklog)"
    }

    /// An endpoint answering 503 until `healthy` is set, then 200; it keeps every accepted
    /// record's correlation id and seq.
    static func server() async throws -> (TestHTTPServer, Locked<Bool>, Locked<[(id: String, seq: Int)]>) {
        let healthy = Locked(false)
        let accepted = Locked<[(id: String, seq: Int)]>([])
        let server = try await TestHTTPServer { request in
            guard healthy.value else { return .init(status: 503, headers: [("Retry-After", "1")]) }
            let object = try? JSONSerialization.jsonObject(with: Data(request.body))
            let records = object as? [[String: Any]] ?? [object as? [String: Any] ?? [:]]
            accepted.withLock { list in
                for record in records {
                    if let id = record["correlationId"] as? String, let seq = record["seq"] as? Int {
                        list.append((id, seq))
                    }
                }
            }
            return .init(status: 200)
        }
        return (server, healthy, accepted)
    }

    /// The last metrics line's figures of sink `name`.
    static func sinkFigures(_ log: String, _ name: String) -> [String: Any]? {
        let line = MetricsLineTests.metricsLines(log).last
        return (line?["sinks"] as? [String: Any])?[name] as? [String: Any]
    }

    /// Runs `body`, then tears the harness (and the server) down, whether it threw or not.
    static func run(
        _ harness: DaemonHarness, _ server: TestHTTPServer? = nil, _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
        } catch {
            await harness.tearDown()
            await server?.stop()
            throw error
        }
        await harness.tearDown()
        await server?.stop()
    }

    @Test func aFailingHTTPSinkHoldsUpNeitherTheFileSinkNorTheQueuesAndKillNineLosesNothing() async throws {
        let (server, healthy, accepted) = try await Self.server()
        let deadLetterPath = HTTPSinkTests.temporaryPath("isolation-dead.jsonl")
        let harness = try DaemonHarness(
            name: "isolation", extraSinks: Self.sinkYAML(url: server.url, deadLetterPath: deadLetterPath),
            extraYAML: "metrics:\n  intervalSeconds: 1", logFormat: "json")
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        try await Self.run(harness, server) {
            try await harness.startAndWait()
            let ids = (0..<3_000).map { "\(harness.prefix)-\($0)" }
            let published = ContinuousClock.now
            try await HTTPSinkDaemonTests.publishPairs(Array(ids[..<1_500]), to: harness)
            // While the endpoint answers 503: the file sink has every record and the queues
            // are drained.
            _ = try await harness.waitForResults(timeout: .seconds(60)) { $0.count >= 1_500 }
            let fileCaughtUp = ContinuousClock.now - published
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.replyQueue, timeout: .seconds(30))
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.intakeQueue, timeout: .seconds(30))
            #expect(accepted.value.isEmpty)
            try await waitUntil("the http sink's backlog in a metrics line", timeout: .seconds(10)) {
                (Self.sinkFigures(harness.log, "hook")?["backlog"] as? Int ?? 0) >= 1_500
            }

            // kill -9 in the middle of the outage, and more traffic after the restart.
            _ = try await harness.stop(signal: SIGKILL)
            try await harness.startAndWait()
            try await HTTPSinkDaemonTests.publishPairs(Array(ids[1_500...]), to: harness)
            _ = try await harness.waitForResults(timeout: .seconds(60)) { $0.count >= 3_000 }
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.replyQueue, timeout: .seconds(30))

            // The endpoint recovers: every record arrives; a repeat carries the same seq.
            healthy.withLock { $0 = true }
            try await waitUntil("every record at the endpoint", timeout: .seconds(60)) {
                Set(accepted.value.map(\.id)) == Set(ids)
            }
            let seqs = Dictionary(grouping: accepted.value, by: \.id).mapValues { Set($0.map(\.seq)) }
            #expect(seqs.values.allSatisfy { $0.count == 1 }, "a record came again with another seq")
            let fileRecords = try harness.results()
            #expect(Set(fileRecords.compactMap { $0["correlationId"] as? String }) == Set(ids))
            // The file sink's seqs are the http sink's: one log.
            let fileSeqs = Dictionary(
                fileRecords.compactMap { record in
                    (record["correlationId"] as? String).flatMap { id in
                        (record["seq"] as? Int).map { (id, $0) }
                    }
                }, uniquingKeysWith: { first, _ in first })
            #expect(accepted.value.allSatisfy { fileSeqs[$0.id] == $0.seq })
            print(
                "isolation: file sink had 1500 pairs' records \(fileCaughtUp) after publishing began, "
                    + "http down; \(accepted.value.count) http deliveries for \(ids.count) records after kill -9"
            )
            _ = try await harness.stop()
        }
    }

    @Test func aRequiredSinkPastItsBacklogPausesConsumptionAndResumesByItself() async throws {
        let (server, healthy, accepted) = try await Self.server()
        let deadLetterPath = HTTPSinkTests.temporaryPath("required-dead.jsonl")
        let maxBacklog = 512
        let harness = try DaemonHarness(
            name: "required",
            extraSinks: Self.sinkYAML(
                url: server.url, deadLetterPath: deadLetterPath, maxBacklog: maxBacklog),
            extraYAML: "metrics:\n  intervalSeconds: 1", logFormat: "json")
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        try await Self.run(harness, server) {
            try await harness.startAndWait()
            let ids = (0..<3_000).map { "\(harness.prefix)-\($0)" }
            try await HTTPSinkDaemonTests.publishPairs(ids, to: harness)
            // Consumption pauses: replies stay in the broker, at most a prefetch of them with
            // the relay, and the records stop a few batches past the backlog.
            try await waitUntil(
                "replies held in the broker", timeout: .seconds(30), every: .milliseconds(250)
            ) {
                guard let counts = try await HTTPSinkDaemonTests.counts(of: harness.replyQueue) else {
                    return false
                }
                return counts.ready > 0 && counts.unacknowledged <= 200
            }
            try await letTimePass(.seconds(2), "the pause holds while the sink fails")
            let held = try #require(try await HTTPSinkDaemonTests.counts(of: harness.replyQueue))
            #expect(held.ready > 0, "\(held)")
            let recorded = try harness.results().count
            #expect(recorded >= maxBacklog && recorded < 3_000, "\(recorded) records during the pause")
            #expect(accepted.value.isEmpty)

            // The sink recovers: consumption resumes by itself and everything arrives.
            healthy.withLock { $0 = true }
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.replyQueue, timeout: .seconds(60))
            try await waitUntil("every record at the endpoint", timeout: .seconds(60)) {
                Set(accepted.value.map(\.id)) == Set(ids)
            }
            #expect(try harness.results().count == 3_000)
            print("required sink: \(recorded) records while paused (maxBacklog \(maxBacklog)), queue \(held)")
            _ = try await harness.stop()
        }
    }

    @Test func aBestEffortSinkDropsOnlyItsOwnOldestRecordsAndCountsThem() async throws {
        let (server, healthy, accepted) = try await Self.server()
        let deadLetterPath = HTTPSinkTests.temporaryPath("best-effort-dead.jsonl")
        let maxBacklog = 512
        let harness = try DaemonHarness(
            name: "best-effort",
            extraSinks: Self.sinkYAML(
                url: server.url, deadLetterPath: deadLetterPath, required: false, maxBacklog: maxBacklog),
            extraYAML: "metrics:\n  intervalSeconds: 1", logFormat: "json")
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        try await Self.run(harness, server) {
            try await harness.startAndWait()
            let ids = (0..<3_000).map { "\(harness.prefix)-\($0)" }
            try await HTTPSinkDaemonTests.publishPairs(ids, to: harness)
            // Nothing waits for it: every record in the file, the queues drained.
            _ = try await harness.waitForResults(timeout: .seconds(60)) { $0.count >= 3_000 }
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.replyQueue, timeout: .seconds(30))
            try await waitUntil("the dropped records counted", timeout: .seconds(15)) {
                (Self.sinkFigures(harness.log, "hook")?["dropped"] as? Int ?? 0) > 0
            }
            healthy.withLock { $0 = true }
            // It gets the newest records only. A batch goes out in concurrent requests of 50:
            // wait for its reader to be caught up (backlog 0 in a metrics line), not only for
            // the newest record.
            try await waitUntil("the http sink caught up", timeout: .seconds(30)) {
                accepted.value.contains { $0.id == ids.last }
                    && Self.sinkFigures(harness.log, "hook")?["backlog"] as? Int == 0
            }
            let dropped = Self.sinkFigures(harness.log, "hook")?["dropped"] as? Int ?? 0
            let arrived = Set(accepted.value.map(\.id))
            #expect(arrived.count < 3_000 && arrived.count >= maxBacklog, "\(arrived.count) arrived")
            #expect(!arrived.contains(ids[0]), "the oldest record should have been dropped")
            #expect(try harness.results().count == 3_000, "the file sink lost records")
            print("best-effort sink: \(arrived.count) of 3000 delivered after the outage, \(dropped) dropped")
            _ = try await harness.stop()
        }
    }

    @Test func aStopWaitsForTheSinksToHaveWhatIsCommitted() async throws {
        // Every answer takes 1 s: the records are committed, and in the file sink, long before
        // the endpoint has them (in two rounds at most: the reader's first batch may be small).
        let server = try await TestHTTPServer { _ in .init(status: 200, delay: .seconds(1)) }
        let deadLetterPath = HTTPSinkTests.temporaryPath("stop-dead.jsonl")
        let harness = try DaemonHarness(
            name: "stop-drain", extraSinks: Self.sinkYAML(url: server.url, deadLetterPath: deadLetterPath),
            logFormat: "json")
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        try await Self.run(harness, server) {
            try await harness.startAndWait()
            let ids = (0..<200).map { "\(harness.prefix)-\($0)" }
            try await HTTPSinkDaemonTests.publishPairs(ids, to: harness)
            _ = try await harness.waitForResults { $0.count >= 200 }
            // SIGTERM while the http sink's requests are under way: the stop waits for them
            // (within its bound), and the last metrics line says the sink took all 200.
            let (status, took) = try await harness.stop()
            #expect(status == 0)
            let accepted = (Self.sinkFigures(harness.log, "hook")?["accepted"] as? Int) ?? 0
            #expect(
                accepted == 200, "the http sink had \(accepted) of 200 records at the stop (took \(took))")
            print(
                "stop with an http sink answering in 1 s: \(accepted) records delivered, the stop took \(took)"
            )
        }
    }

    @Test func aReplaySendsOneSinkItsRecordsAgainWhileTheDaemonRunsAndWhileItIsStopped() async throws {
        let harness = try DaemonHarness(name: "replay")
        try await Self.run(harness) {
            try await harness.startAndWait()
            let ids = (0..<100).map { "\(harness.prefix)-\($0)" }
            try await HTTPSinkDaemonTests.publishPairs(ids, to: harness)
            let first = try await harness.waitForResults { $0.count >= 100 }
            let seqs = first.compactMap { $0["seq"] as? Int }
            #expect(Set(seqs).count == 100)
            #expect(first.allSatisfy { $0["replayed"] as? Bool == false })

            // While it runs: from the 51st record's seq; picked up within a second.
            let from = seqs.sorted()[50]
            let running = try await ExitStatusTests.relay([
                "replay", "--config", harness.configPath, "--sink", "results", "--from", "\(from)",
            ])
            #expect(running.status == 0, "\(running.standardError)")
            #expect(
                running.standardOutput.contains("50 records will be sent again"), "\(running.standardOutput)")
            let again = try await harness.waitForResults(timeout: .seconds(10)) { $0.count >= 150 }
            let replayed = again.dropFirst(100)
            #expect(replayed.allSatisfy { $0["replayed"] as? Bool == true })
            #expect(Set(replayed.compactMap { $0["seq"] as? Int }) == Set(seqs.filter { $0 >= from }))

            // While it is stopped: from a time before everything; sent when it starts.
            _ = try await harness.stop()
            let stopped = try await ExitStatusTests.relay([
                "replay", "--config", harness.configPath, "--sink", "results", "--from",
                "2000-01-01T00:00:00Z",
            ])
            #expect(stopped.status == 1, "older than the log keeps: \(stopped.standardOutput)")
            #expect(stopped.standardError.contains("the oldest available is seq"), "\(stopped.standardError)")
            let oldest = seqs.min()!
            let fromStart = try await ExitStatusTests.relay([
                "replay", "--config", harness.configPath, "--sink", "results", "--from", "\(oldest)",
            ])
            #expect(fromStart.status == 0, "\(fromStart.standardError)")
            try await harness.startAndWait()
            let all = try await harness.waitForResults(timeout: .seconds(10)) { $0.count >= 250 }
            #expect(all.dropFirst(150).allSatisfy { $0["replayed"] as? Bool == true })
            let unknown = try await ExitStatusTests.relay([
                "replay", "--config", harness.configPath, "--sink", "nowhere", "--from", "1",
            ])
            #expect(unknown.status == 64)
            _ = try await harness.stop()
        }
    }
}
