import Foundation
import Glibc
import TestSupport
import Testing

/// Debian's Prometheus server (`/usr/bin/prometheus`, package `prometheus`) scraping a live
/// relay with monitoring/alerts.yaml loaded, as an operator would run it: the target is up,
/// every rule evaluates without error, and nothing fires or is pending on a healthy relay.
/// The server runs on a free loopback port with its data in a temporary directory, and is
/// always stopped.
@Suite("Alert rules: a real Prometheus scraping a relay", .timeLimit(.minutes(3)))
struct PrometheusServerTests {
    static let binary = "/usr/bin/prometheus"

    @Test func theTargetIsUpEveryRuleEvaluatesAndNothingFiresOnAHealthyRelay() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw HarnessError(
                "\(Self.binary) is missing: scripts/setup.sh installs Debian's prometheus package")
        }
        let relayPort = try LoopbackPort.free()
        let harness = try DaemonHarness(
            name: "prometheus-server",
            extraYAML: """
                metrics:
                  intervalSeconds: 1
                  prometheus:
                    listen: 127.0.0.1:\(relayPort)
                """)
        defer { if harness.isRunning { try? harness.send(signal: SIGKILL) } }
        try await harness.startAndWait()
        let id = "\(harness.prefix)-pair"
        try await HTTPSinkDaemonTests.publishPairs([id], to: harness)
        _ = try await harness.waitForResults { $0.contains { $0["correlationId"] as? String == id } }

        let serverPort = try LoopbackPort.free()
        let server = try Self.startServer(scraping: relayPort, on: serverPort, in: harness.directory)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let api = "http://127.0.0.1:\(serverPort)/api/v1"
        let log = harness.directory.appendingPathComponent("prometheus.log").path

        // The target: scraped, and up.
        let targets = try await Self.poll("\(api)/targets") { data in
            let active = (data["activeTargets"] as? [[String: Any]]) ?? []
            return active.count == 1 && active[0]["health"] as? String == "up"
        }
        let target = try #require(
            (targets?["activeTargets"] as? [[String: Any]])?.first,
            "no target up: \(String(describing: targets))\n\(Self.tail(log))")
        #expect(target["health"] as? String == "up")
        #expect((target["labels"] as? [String: String])?["job"] == "mts-relay")

        // Every rule evaluated, all healthy, and a few seconds more of evaluations (one a second)
        // for anything that would turn pending.
        var healthySince: ContinuousClock.Instant?
        let rules = try await Self.poll("\(api)/rules") { data in
            let all = Self.rules(in: data)
            guard !all.isEmpty, all.allSatisfy({ $0["health"] as? String == "ok" }) else { return false }
            let since = healthySince ?? .now
            healthySince = since
            return ContinuousClock.now - since > .seconds(4)
        }
        let all = Self.rules(in: rules ?? [:])
        let names = Set(all.compactMap { $0["name"] as? String })
        #expect(names.count >= 10, "\(names)")
        for rule in all {
            #expect(
                rule["health"] as? String == "ok",
                "\(rule["name"] ?? "?"): \(rule["health"] ?? "?") \(rule["lastError"] ?? "")")
            #expect(
                rule["state"] as? String == "inactive", "\(rule["name"] ?? "?") is \(rule["state"] ?? "?")")
        }

        // Nothing fires, nothing is pending.
        let alerts = try await Self.poll("\(api)/alerts") { _ in true }
        let active = (alerts?["alerts"] as? [[String: Any]]) ?? []
        #expect(active.isEmpty, "alerts on a healthy relay: \(active)")
        // And the rules saw the relay's series (a rule over a missing family is silently empty).
        let query = try await Self.poll("\(api)/query?query=mts_relay_active") { data in
            !((data["result"] as? [Any]) ?? []).isEmpty
        }
        let samples = (query?["result"] as? [Any]) ?? []
        #expect(!samples.isEmpty, "Prometheus holds no mts_relay_active")

        let (status, _) = try await harness.stop()
        #expect(status == 0)
        await harness.tearDown()
    }

    /// Starts the server scraping the relay every second and evaluating the rules every second.
    static func startServer(scraping relayPort: Int, on port: Int, in directory: URL) throws -> Process {
        let rules = ConfigurationTestSupport.packageRoot.appendingPathComponent("monitoring/alerts.yaml").path
        let config = directory.appendingPathComponent("prometheus.yml")
        try """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files:
          - \(rules)
        scrape_configs:
          - job_name: mts-relay
            static_configs:
              - targets: ["127.0.0.1:\(relayPort)"]
        """.write(to: config, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("prometheus-data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(config.path)", "--storage.tsdb.path=\(data.path)",
            "--web.listen-address=127.0.0.1:\(port)",
        ]
        let log = directory.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Polls an API endpoint until `condition` holds of its `data`, for at most 30 s; returns the
    /// last `data` (nil while the server does not answer).
    static func poll(
        _ url: String, until condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any]? {
        var last: [String: Any]?
        _ = await eventually(timeout: .seconds(30), every: .milliseconds(250)) {
            guard let answer = try? await DaemonServicesTests.get(url), answer.status == 200,
                let object =
                    try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
                let data = object["data"] as? [String: Any]
            else { return false }
            last = data
            return condition(data)
        }
        return last
    }

    /// The rules of every group in a `/api/v1/rules` answer.
    static func rules(in data: [String: Any]) -> [[String: Any]] {
        ((data["groups"] as? [[String: Any]]) ?? []).flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }
    }

    static func tail(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").suffix(20)
            .joined(separator: "\n")
    }
}
