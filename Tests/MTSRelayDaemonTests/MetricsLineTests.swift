import Foundation
import TestSupport
import Testing

@testable import MTSRelayDaemon

@Suite("Metrics lines", .timeLimit(.minutes(2)))
struct MetricsLineTests {
    /// The `metrics` lines of a JSON log, parsed.
    static func metricsLines(_ log: String) -> [[String: Any]] {
        log.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{"), line.contains(#""msg":"metrics""#) else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
    }

    @Test func aMetricsLineParsesAndItsCountersAddUpToWhatWasSent() async throws {
        let harness = try DaemonHarness(
            name: "metrics", extraYAML: "metrics:\n  intervalSeconds: 1", logFormat: "json")
        try await harness.startAndWait()
        let id = harness.prefix
        let pairs = 50
        var messages: [(body: String, queue: String, correlationID: String?)] = []
        for index in 0..<pairs {
            messages.append(
                (MTSMessages.ticketRequest("\(id)-\(index)"), harness.intakeQueue, "\(id)-\(index)"))
        }
        try await harness.publishAll(messages)
        // The requests are registered before their replies come.
        try await HTTPSinkDaemonTests.waitUntilDrained(harness.intakeQueue, timeout: .seconds(20))
        messages = (0..<pairs).map {
            (MTSMessages.ticketReply("\(id)-\($0)"), harness.replyQueue, "\(id)-\($0)")
        }
        messages += (0..<3).map { ("{broken \($0)", harness.replyQueue, "\(id)-bad-\($0)") }
        messages += (0..<2).map {
            (MTSMessages.ticketReply("\(id)-nobody-\($0)"), harness.replyQueue, "\(id)-nobody-\($0)")
        }
        try await harness.publishAll(messages)
        _ = try await harness.waitForResults { $0.count >= pairs + 5 }

        // The first metrics line written after every result is in.
        let seen = Self.metricsLines(harness.log).count
        var lines: [[String: Any]] = []
        try await waitUntil("a metrics line after the results", timeout: .seconds(10)) {
            lines = Self.metricsLines(harness.log)
            return lines.count > seen
        }
        let line = try #require(lines.last)
        #expect(line["level"] as? String == "info")
        let consumed = try #require(line["consumed"] as? [String: Int])
        #expect(consumed[harness.intakeQueue] == pairs)
        #expect(consumed[harness.replyQueue] == pairs + 5)
        let results = try #require(line["results"] as? [String: Int])
        #expect(results["matched"] == pairs)
        #expect(results["invalid"] == 3)
        #expect(results["unmatched"] == 2)
        #expect(results["timeout"] == 0)
        #expect(line["invalid"] as? Int == 3)
        let sinks = try #require(line["sinks"] as? [String: [String: Int]])
        #expect(sinks["results"]?["accepted"] == pairs + 5)
        #expect(sinks["results"]?["failed"] == 0)
        #expect(line["pending"] as? Int == 0)
        #expect(line["unacked"] as? Int == 0)
        #expect(line["reconnects"] as? Int == 0)
        // Latency quantiles are per interval: over all lines, one reply latency per match.
        let replyCounts = lines.compactMap { ($0["replyLatencyMs"] as? [String: Any])?["count"] as? Int }
        #expect(replyCounts.reduce(0, +) == pairs)
        let relayCounts = lines.compactMap { ($0["relayLatencyMs"] as? [String: Any])?["count"] as? Int }
        #expect(relayCounts.reduce(0, +) == pairs + 5)
        for quantiles in lines.compactMap({ $0["relayLatencyMs"] as? [String: Double] }) {
            #expect(quantiles["p50"]! <= quantiles["p90"]! && quantiles["p90"]! <= quantiles["p99"]!)
            #expect(quantiles["p99"]! <= quantiles["max"]!)
        }
        // Each stage's mean batch per interval: some interval moved a batch through all three.
        let means = lines.compactMap { $0["meanBatch"] as? [String: Double] }
        #expect(means.count == lines.count)
        #expect(
            means.contains { mean in ["consumed", "results", "sink"].allSatisfy { (mean[$0] ?? 0) >= 1 } },
            "\(means)")
        for mean in means { #expect((mean["results"] ?? 0) <= Double(ResultLoop.batchSize)) }
        // The store's commit times: the longest of an interval is at least its mean.
        let stores = lines.compactMap { $0["store"] as? [String: Double] }
        #expect(stores.contains { ($0["meanCommitMs"] ?? 0) > 0 }, "\(stores)")
        for store in stores { #expect((store["longestCommitMs"] ?? 0) >= (store["meanCommitMs"] ?? 0)) }
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }

    @Test func logfmtLinesFlattenTheSameFigures() {
        var counters = RelayMetrics.Counters()
        counters.consumed["q"] = 3
        counters.results["matched"] = 2
        counters.sinkAccepted["file"] = 2
        let line = MetricsLine(
            counters: counters, pending: 1, heldReplies: 0, queuedResults: 0, oldestPendingAgeMs: 1500,
            watermarkLags: [
                WatermarkLag(source: .replies, queue: "r", lagMs: 120),
                WatermarkLag(source: .intake, queue: "i", lagMs: nil),
            ],
            unacked: 1,
            matchedPerSecond: 0.2, replyLatency: .init(count: 2, p50: 1, p90: 2, p99: 2, max: 2),
            relayLatency: .init(count: 2, p50: 0.5, p90: 0.75, p99: 0.75, max: 0.75),
            wait: .init(count: 1, p50: 300, p90: 300, p99: 300, max: 300),
            meanCommitMs: 1.234, longestCommitMs: 9.5, meanBatch: ["consumed": 12.25, "sink": 40])
        #expect(line.lagsBySource.map(\.name) == ["replies", "intake"])
        #expect(line.lagsBySource.map(\.lagMs) == [120, nil])
        let text = String(
            decoding: RelayLogHandler.render(
                format: .logfmt, timestamp: 0, level: .info, message: "metrics", metadata: line.metadata),
            as: UTF8.self)
        for expected in [
            "consumed.q=3", "results.matched=2", "results.timeout=0", "sinks.file.accepted=2",
            "sinks.file.failed=0",
            "pending=1", "oldestPendingAgeMs=1500", "relayLatencyMs.p99=0.75", "replyLatencyMs.count=2",
            "watermarkLagMs.replies.r=120", "watermarkLagMs.intake.i=unknown", "waitMs.p99=300",
            "meanBatch.consumed=12.3", "meanBatch.sink=40.0", "store.meanCommitMs=1.23",
            "store.longestCommitMs=9.5",
        ] {
            #expect(text.contains(expected), "\(expected) missing in \(text)")
        }
    }
}
