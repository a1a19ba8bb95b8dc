import Foundation
import TestSupport
import Testing

/// `mts-relay inspect` and `mts-relay pending` against a running relay's real store, SQLite and
/// PostgreSQL: they read what the relay wrote, beside it, and write nothing.
@Suite("mts-relay inspect and pending", .serialized, .timeLimit(.minutes(3)))
struct StoreToolsTests {
    enum Store: String, CaseIterable, Sendable { case sqlite, postgres }

    @Test(arguments: Store.allCases)
    func inspectAndPendingReadARunningRelaysStore(_ store: Store) async throws {
        let harness: DaemonHarness
        switch store {
        case .sqlite:
            harness = try DaemonHarness(name: "tools-sqlite")
        case .postgres:
            harness = try DaemonHarness(
                name: "tools-pg", extraYAML: "ha:\n  group: GROUP\n  node: tools\n",
                store: "  url: \(DaemonHighAvailabilityTests.postgresURL)")
            try harness.replaceInConfig("GROUP", with: harness.prefix)
        }
        do {
            try await harness.startAndWait()
            let (matched, waiting) = ("\(harness.prefix)-answered", "\(harness.prefix)-waiting")
            try await HTTPSinkDaemonTests.publishPairs([matched], to: harness)
            try await harness.publish(
                MTSMessages.ticketRequest(waiting), to: harness.intakeQueue, correlationID: waiting)
            _ = try await harness.waitForResults { $0.contains { $0["correlationId"] as? String == matched } }
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.intakeQueue, timeout: .seconds(20))

            let config = ["--config", harness.configPath]
            let inspected = try await ExitStatusTests.relay(["inspect"] + config + [matched])
            #expect(inspected.status == 0, "\(inspected.standardError)")
            #expect(
                inspected.standardOutput.contains("state          matched"), "\(inspected.standardOutput)")
            #expect(inspected.standardOutput.contains("results: {"), "the file sink's record")

            let json = try await ExitStatusTests.relay(["inspect"] + config + ["--json", waiting])
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
            let requests = try #require(object["requests"] as? [[String: Any]])
            #expect(requests.first?["state"] as? String == "outstanding")
            #expect((requests.first?["request"] as? [String: Any])?["correlationId"] as? String == waiting)
            #expect((object["records"] as? [Any])?.isEmpty == true)

            let pending = try await ExitStatusTests.relay(["pending"] + config)
            #expect(pending.status == 0, "\(pending.standardError)")
            #expect(pending.standardOutput.contains("1 outstanding"), "\(pending.standardOutput)")
            #expect(pending.standardOutput.contains(waiting))
            #expect(!pending.standardOutput.contains(matched))
            let none = try await ExitStatusTests.relay(["pending"] + config + ["--older-than", "1h"])
            #expect(none.standardOutput.hasPrefix("0 outstanding older than 1h"), "\(none.standardOutput)")

            let unknown = try await ExitStatusTests.relay(["inspect"] + config + ["\(harness.prefix)-never"])
            #expect(unknown.status == 1)
            #expect(unknown.standardOutput.contains("not in the store"))
            #expect(
                try await ExitStatusTests.relay(["pending"] + config + ["--older-than", "soon"]).status == 64)

            // The relay went on undisturbed, and decides what comes next.
            let after = "\(harness.prefix)-after"
            try await HTTPSinkDaemonTests.publishPairs([after], to: harness)
            _ = try await harness.waitForResults { $0.contains { $0["correlationId"] as? String == after } }
            #expect(try await harness.stop().status == 0)
        } catch {
            await harness.tearDown()
            throw error
        }
        await harness.tearDown()
        if store == .postgres { try await PostgresServer.deleteRows(ofGroup: harness.prefix) }
    }
}
