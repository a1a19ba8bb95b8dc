import Foundation
import Glibc
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The daemon's long-running parts that are not consumers, through the real executable: the
/// Prometheus endpoint, SIGHUP, and a second stop signal.
@Suite("mts-relay run: endpoint and signals", .timeLimit(.minutes(3)))
struct DaemonServicesTests {
    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func prometheusServesMetricsSighupReopensTheFileAndSigtermClosesTheEndpoint() async throws {
        let port = try LoopbackPort.free()
        let harness = try DaemonHarness(
            name: "services",
            extraYAML: """
                metrics:
                  intervalSeconds: 1
                  prometheus:
                    listen: 127.0.0.1:\(port)
                ha:
                  node: relay-under-test
                """)
        try await harness.startAndWait()
        let first = "\(harness.prefix)-first"
        try await HTTPSinkDaemonTests.publishPairs([first], to: harness)
        _ = try await harness.waitForResults { $0.contains { $0["correlationId"] as? String == first } }

        // The gauges reach the registry with the first metrics interval (1 s here).
        var metrics = try await Self.get("http://127.0.0.1:\(port)/metrics")
        let exported = ContinuousClock.now + .seconds(10)
        while !metrics.body.contains("mts_relay_watermark_lag_seconds"), ContinuousClock.now < exported {
            try await Task.sleep(for: .milliseconds(200))
            metrics = try await Self.get("http://127.0.0.1:\(port)/metrics")
        }
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("mts_relay_watermark_lag_seconds"))
        // Counters are instrumented once and reach Prometheus as they happen (no replay).
        #expect(metrics.body.contains(#"mts_relay_results_total{outcome="matched"} 1"#))
        #expect(try await Self.get("http://127.0.0.1:\(port)/other").status == 404)

        // logrotate: move the file away, SIGHUP, and the next record starts a new file.
        let rotated = harness.resultsPath + ".1"
        try FileManager.default.moveItem(atPath: harness.resultsPath, toPath: rotated)
        try harness.send(signal: SIGHUP)
        let deadline = ContinuousClock.now + .seconds(10)
        while !harness.log.contains("SIGHUP: reopening file sinks"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let second = "\(harness.prefix)-second"
        try await HTTPSinkDaemonTests.publishPairs([second], to: harness)
        let records = try await harness.waitForResults { !$0.isEmpty }
        #expect(records.map { $0["correlationId"] as? String } == [second])
        #expect(records.first?["node"] as? String == "relay-under-test", "records say who decided")
        let old = try String(contentsOfFile: rotated, encoding: .utf8)
        #expect(old.contains(first) && !old.contains(second))
        #expect(harness.isRunning, "SIGHUP must not stop the daemon")

        let (status, _) = try await harness.stop()
        #expect(status == 0)
        #expect(!LoopbackPort.accepts(port), "the endpoint stops with the daemon")
    }

    @Test func aSecondStopSignalExitsAtOnce() async throws {
        // An http sink that never answers holds a record, so the graceful shutdown waits.
        let deadPort = try LoopbackPort.free()
        let deadLetterPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("second-signal-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: deadLetterPath) }
        let harness = try DaemonHarness(
            name: "second-signal",
            extraSinks: HTTPSinkDaemonTests.sinkYAML(
                url: "http://127.0.0.1:\(deadPort)/hook", batchSize: 1, deadLetterPath: deadLetterPath),
            shutdownSeconds: 30)
        try await harness.startAndWait()
        let id = "\(harness.prefix)-held"
        try await HTTPSinkDaemonTests.publishPairs([id], to: harness)
        // The file sink has it; the http sink keeps retrying.
        _ = try await harness.waitForResults { $0.contains { $0["correlationId"] as? String == id } }

        try harness.send(signal: SIGTERM)
        try await Task.sleep(for: .milliseconds(500))
        #expect(harness.isRunning, "the first SIGTERM waits for the held record")
        let (status, took) = try await harness.stop(signal: SIGTERM, timeout: .seconds(10))
        #expect(status == 1)
        #expect(took < .seconds(5))
        #expect(harness.log.contains("Second stop signal: exiting at once"))
    }
}
