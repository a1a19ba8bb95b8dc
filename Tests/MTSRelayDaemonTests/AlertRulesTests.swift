import Foundation
import TestSupport
import Testing

/// monitoring/alerts.yaml through Debian's promtool (package `prometheus`, which
/// scripts/setup.sh installs): the rule file is valid, and its unit tests
/// (monitoring/alerts.test.yaml) pass. A machine without promtool fails these tests rather
/// than skipping them: CI must have it.
@Suite("Alert rules: promtool")
struct AlertRulesTests {
    static let monitoring = ConfigurationTestSupport.packageRoot.appendingPathComponent("monitoring")

    /// Runs promtool with `arguments` in monitoring/; its exit status and what it printed.
    static func promtool(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        guard let path = RequiredTool.find(["/usr/bin/promtool"]) else {
            throw HarnessError("promtool is missing: scripts/setup.sh installs Debian's prometheus package")
        }
        let finished = try await ChildProcess.run(path, arguments, in: monitoring)
        return (finished.status, finished.output + finished.errors)
    }

    @Test func theRuleFileIsValid() async throws {
        let check = try await Self.promtool(["check", "rules", "alerts.yaml"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("SUCCESS"), "\(check.output)")
    }

    @Test func theRulesPassTheirUnitTests() async throws {
        let test = try await Self.promtool(["test", "rules", "alerts.test.yaml"])
        #expect(test.status == 0, "\(test.output)")
        #expect(test.output.contains("SUCCESS"), "\(test.output)")
    }

    /// Every rule says where to start (`runbook`), and every metric it names is one the relay
    /// exports (its catalogue), so a renamed family cannot leave a rule silently empty.
    @Test func everyRuleHasARunbookAndNamesOnlyExportedMetrics() async throws {
        let rules = try String(
            contentsOf: Self.monitoring.appendingPathComponent("alerts.yaml"), encoding: .utf8)
        let alerts = rules.components(separatedBy: "- alert: ").dropFirst()
        #expect(alerts.count >= 10)
        let catalogue = try String(
            contentsOf: ConfigurationTestSupport.packageRoot.appendingPathComponent(
                "Sources/MTSRelayDaemon/Metrics/MetricCatalogue.swift"),
            encoding: .utf8)
        let metricName = try Regex(#"mts_relay_[a-z_]+"#)
        for alert in alerts {
            let name = alert.prefix { !$0.isNewline }
            #expect(alert.contains("runbook: "), "\(name) has no runbook")
            // The expression: from `expr:` to the rule's next key.
            let expression = try #require(alert.range(of: "expr:")).upperBound
            let end =
                ["\n        for:", "\n        labels:"].compactMap {
                    alert.range(of: $0, range: expression..<alert.endIndex)?.lowerBound
                }.min() ?? alert.endIndex
            let text = alert[expression..<end]
            for match in text.matches(of: metricName) {
                let metric = String(text[match.range])
                #expect(catalogue.contains("\"\(metric)\""), "\(name): \(metric) is not in MetricCatalogue")
            }
        }
    }
}
