import Foundation
import TestSupport
import Testing

/// The real daemon under a pretend systemd: `NOTIFY_SOCKET` names a socket the test reads.
@Suite("mts-relay run under systemd", .timeLimit(.minutes(2)))
struct DaemonSystemdTests {
    @Test func sendsReadyStatusWatchdogAndStopping() async throws {
        let listener = try NotifySocketListener()
        let harness = try DaemonHarness(name: "notify", extraYAML: "metrics:\n  intervalSeconds: 1")
        // A 2 s watchdog: the consume loops ping every second.
        try harness.start(
            environment: listener.environment.merging(["WATCHDOG_USEC": "2000000"]) { _, new in new })
        try await harness.waitUntilReady()
        #expect(await listener.waitFor("READY=1", timeout: .seconds(10)))

        let id = harness.prefix
        try await harness.publish(
            MTSMessages.ticketRequest("\(id)-1"), to: harness.intakeQueue, correlationID: "\(id)-1")
        try await harness.publish(
            MTSMessages.ticketReply("\(id)-1"), to: harness.replyQueue, correlationID: "\(id)-1")
        _ = try await harness.waitForResults { $0.count == 1 }
        // Two watchdog pings (one a second) and a status line after the record.
        try await waitUntil("two watchdog pings and a status with the sink") {
            let assignments = listener.assignments
            return assignments.filter { $0 == "WATCHDOG=1" }.count >= 2
                && assignments.contains {
                    $0.hasPrefix("STATUS=pending=") && $0.contains("sinks: results=ok")
                }
        }
        let assignments = listener.assignments
        #expect(assignments.filter { $0 == "WATCHDOG=1" }.count >= 2)
        let statuses = assignments.filter { $0.hasPrefix("STATUS=") }
        #expect(statuses.contains { $0.hasPrefix("STATUS=pending=") && $0.contains("sinks: results=ok") })

        let (status, _) = try await harness.stop()
        #expect(status == 0)
        #expect(listener.assignments.contains("STOPPING=1"))
        // Ready came before stopping, once each.
        #expect(listener.assignments.filter { $0 == "READY=1" }.count == 1)
        await harness.tearDown()
    }
}
