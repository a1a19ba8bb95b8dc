import Foundation
import TestSupport
import Testing

/// Nothing is lost when the daemon is killed, stopped, or loses its broker connections.
///
/// The check on the result file: every correlation id has its `matched` record; a record may
/// repeat only when its message was redelivered (`redelivered: true`), or as the same record
/// again (the same `seq`: a sink gets what followed its last committed cursor once more after a
/// crash).
@Suite("mts-relay run, crashes and connection loss", .timeLimit(.minutes(5)))
struct DaemonResilienceTests {
    static func pairs(
        _ harness: DaemonHarness, count: Int
    ) -> (ids: [String], messages: [(body: String, queue: String, correlationID: String?)]) {
        let ids = (0..<count).map { "\(harness.prefix)-\($0)" }
        let now = MTSMessages.nowMilliseconds()
        let requests = ids.map {
            (MTSMessages.ticketRequest($0, timestamp: now), harness.intakeQueue, Optional($0))
        }
        let replies = ids.map {
            (MTSMessages.ticketReply($0, timestamp: now + 5), harness.replyQueue, Optional($0))
        }
        return (ids, requests + replies)
    }

    /// Every id has a matched record; extra records of an id are redeliveries.
    static func checkNothingLost(_ records: [[String: Any]], ids: [String]) {
        var byId: [String: [[String: Any]]] = [:]
        for record in records { byId[record["correlationId"] as? String ?? "", default: []].append(record) }
        var missing = 0
        var unexplainedRepeats = 0
        var wrongOutcome = 0
        for id in ids {
            guard let found = byId[id], !found.isEmpty else {
                missing += 1
                continue
            }
            if !found.contains(where: { $0["outcome"] as? String == "matched" }) { wrongOutcome += 1 }
            if Self.decisions(in: found) > 1 { unexplainedRepeats += 1 }
        }
        let repeats = records.count - byId.count
        print(
            "checked \(ids.count) ids: \(records.count) records, \(repeats) repeated (redelivered), \(missing) missing"
        )
        #expect(missing == 0)
        #expect(wrongOutcome == 0)
        #expect(unexplainedRepeats == 0)
        #expect(byId.count == ids.count, "records for ids that were never sent")
    }

    /// How many decisions `records` (of one id) show: its records without `redelivered`,
    /// counting a repeat of the same `seq` (the same record delivered again) once.
    static func decisions(in records: [[String: Any]]) -> Int {
        let fresh = records.filter { $0["redelivered"] as? Bool != true }
        let seqs = Set(fresh.compactMap { $0["seq"] as? Int })
        return seqs.count + fresh.filter { $0["seq"] == nil }.count
    }

    private static func distinctIds(_ records: [[String: Any]]) -> Int {
        Set(records.compactMap { $0["correlationId"] as? String }).count
    }

    /// Plain, and over TLS (`amqps://`, the test CA) for both the daemon's connections.
    @Test(arguments: [false, true])
    func twentyThousandPairsSurviveTwoKills(overTLS: Bool) async throws {
        let harness =
            overTLS
            ? try DaemonHarness(
                name: "killtls", brokerURL: DaemonHarness.tlsBrokerURL, brokerYAML: DaemonHarness.tlsSection()
            )
            : try DaemonHarness(name: "kill")
        let (ids, messages) = Self.pairs(harness, count: 20_000)
        try await harness.publishAll(messages)
        try await harness.startAndWait()
        for threshold in [4_000, 12_000] {
            _ = try await harness.waitForResults(timeout: .seconds(120)) { Self.distinctIds($0) >= threshold }
            _ = try await harness.stop(signal: SIGKILL)
            try await harness.startAndWait()
        }
        let records = try await harness.waitForResults(timeout: .seconds(120)) {
            Self.distinctIds($0) >= ids.count
        }
        Self.checkNothingLost(records, ids: ids)
        if overTLS { #expect(harness.log.contains("amqps://guest:****@localhost:5671")) }
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }

    @Test func twentyThousandPairsSurviveTheBrokerClosingTheDaemonsConnectionsTwice() async throws {
        let harness = try DaemonHarness(name: "close")
        let (ids, messages) = Self.pairs(harness, count: 20_000)
        try await harness.publishAll(messages)
        try await harness.startAndWait()
        for threshold in [4_000, 12_000] {
            _ = try await harness.waitForResults(timeout: .seconds(120)) { Self.distinctIds($0) >= threshold }
            #expect(try await harness.closeDaemonConnections() == 2)
        }
        let records = try await harness.waitForResults(timeout: .seconds(120)) {
            Self.distinctIds($0) >= ids.count
        }
        Self.checkNothingLost(records, ids: ids)
        #expect(harness.log.contains("Reconnected to the broker"))
        #expect(harness.log.contains("CONNECTION_FORCED"))
        // What the closed sessions had read and not acknowledged is no longer counted: the first
        // metrics line (logfmt, every 10 s) written after every result is in says so.
        func metricsLines() -> [[Substring]] {
            harness.log.split(separator: "\n").filter { $0.contains("msg=metrics") }.map {
                $0.split(separator: " ")
            }
        }
        let seen = metricsLines().count
        try await waitUntil("a metrics line after the results", timeout: .seconds(30)) {
            metricsLines().count > seen
        }
        let unacked = metricsLines().last?.first { $0.hasPrefix("unacked=") }
        #expect(unacked == "unacked=0")
        #expect(harness.isRunning)
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }

    @Test func sigtermUnderLoadExitsZeroWithinTheBoundAndLosesNothing() async throws {
        let harness = try DaemonHarness(name: "term", shutdownSeconds: 10)
        let (ids, messages) = Self.pairs(harness, count: 8_000)
        try await harness.publishAll(messages)
        try await harness.startAndWait()
        _ = try await harness.waitForResults(timeout: .seconds(60)) { Self.distinctIds($0) >= 1_000 }
        let (status, took) = try await harness.stop(signal: SIGTERM)
        print("SIGTERM under load: exit \(status) after \(took)")
        #expect(status == 0)
        #expect(took < .seconds(10))
        try await harness.startAndWait()
        let records = try await harness.waitForResults(timeout: .seconds(120)) {
            Self.distinctIds($0) >= ids.count
        }
        Self.checkNothingLost(records, ids: ids)
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }
}
