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
        try await waitUntil(
            "the watermark gauges at /metrics", timeout: .seconds(10), every: .milliseconds(200)
        ) {
            metrics = try await Self.get("http://127.0.0.1:\(port)/metrics")
            return metrics.body.contains("mts_relay_watermark_lag_seconds")
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
        try await harness.waitForLog("SIGHUP: reopening file sinks")
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
        await harness.tearDown()
    }

    /// `/metrics` as a Prometheus server reads it: every family has `# HELP` (from the one
    /// catalogue) and `# TYPE`, the gauges are there from the first scrape (the metrics interval
    /// here is a minute), and promtool, the Prometheus project's own parser and linter, accepts
    /// it.
    @Test func everyFamilyHasHelpAndTypeFromTheFirstScrapeAndPromtoolAcceptsIt() async throws {
        let port = try LoopbackPort.free()
        let stub = try await BetEngineStub(secret: JackpotDaemonTests.secret, delay: .milliseconds(10))
        let harness = try DaemonHarness(
            name: "prometheus-help",
            extraYAML: """
                metrics:
                  intervalSeconds: 60
                  prometheus:
                    listen: 127.0.0.1:\(port)
                jackpot:
                  queue: JACKPOT_QUEUE
                  url: \(stub.url)
                  operatorName: demo-operator
                """)
        try harness.replaceInConfig("JACKPOT_QUEUE", with: harness.jackpotQueue)
        try harness.start(environment: ["MTS_RELAY_JACKPOT_SECRET": JackpotDaemonTests.secret])
        try await harness.waitUntilReady()

        let first = try await Self.get("http://127.0.0.1:\(port)/metrics")
        #expect(first.body.contains("\nmts_relay_pending 0"), "gauges from the first scrape:\n\(first.body)")
        #expect(first.body.contains("\nmts_relay_active 1"))

        let id = "\(harness.prefix)-pair"
        let ticket = "ok-\(harness.prefix)"
        try await HTTPSinkDaemonTests.publishPairs([id], to: harness)
        try await harness.publish(
            BetEngineStub.request(token: ticket), to: harness.jackpotQueue, correlationID: ticket)
        _ = try await harness.waitForResults { records in
            Set(records.compactMap { $0["correlationId"] as? String }).isSuperset(of: [id, ticket])
        }
        let scrape = try await Self.get("http://127.0.0.1:\(port)/metrics").body
        var types: [String: String] = [:]
        var helps: [String: String] = [:]
        var sampled: Set<String> = []
        for line in scrape.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            if words.first == "#", words.count >= 4, words[1] == "TYPE" { types[words[2]] = words[3] }
            if words.first == "#", words.count >= 4, words[1] == "HELP" { helps[words[2]] = words[3] }
            if !line.hasPrefix("#"), let name = line.split(whereSeparator: { $0 == "{" || $0 == " " }).first {
                sampled.insert(String(name))
            }
        }
        #expect(types.count >= 15, "\(types.keys.sorted())")
        for family in types.keys.sorted() {
            #expect(helps[family] != nil, "\(family) has no # HELP")
            #expect(helps[family]?.hasPrefix("undocumented") != true, "\(family) is not in MetricCatalogue")
        }
        for name in sampled {
            let family = ["_bucket", "_sum", "_count"].reduce(name) { name, suffix in
                types[name] == nil && name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : name
            }
            #expect(types[family] != nil, "sample \(name) has no # TYPE")
        }
        #expect(sampled.contains("mts_relay_jackpot_sent_total"))

        let promtool = try await Promtool.checkMetrics(scrape)
        #expect(promtool.status == 0, "promtool check metrics:\n\(promtool.output)")

        let (status, _) = try await harness.stop()
        #expect(status == 0)
        await stub.stop()
        await harness.tearDown()
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
        try await harness.waitForLog("Shutting down")
        #expect(harness.isRunning, "the first SIGTERM waits for the held record")
        let (status, took) = try await harness.stop(signal: SIGTERM, timeout: .seconds(10))
        #expect(status == 1)
        #expect(took < .seconds(5))
        #expect(harness.log.contains("Second stop signal: exiting at once"))
        await harness.tearDown()
    }
}

/// Debian's promtool (package `prometheus`), which scripts/setup.sh installs.
enum Promtool {
    /// `promtool check metrics` on `exposition`: its exit status and what it printed. Throws
    /// when promtool is missing (a CI machine must have it: no silent skip).
    static func checkMetrics(_ exposition: String) async throws -> (status: Int32, output: String) {
        guard RequiredTool.find(["/usr/bin/promtool"]) != nil else {
            throw HarnessError("promtool is missing: scripts/setup.sh installs Debian's prometheus package")
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent(
            "metrics-\(UUID().uuidString.prefix(6)).txt")
        try exposition.write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let finished = try await ChildProcess.run(
            "/bin/sh", ["-c", "exec /usr/bin/promtool check metrics < \"$1\"", "sh", input.path])
        return (finished.status, finished.output + finished.errors)
    }
}
