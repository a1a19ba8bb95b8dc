import Foundation
import TestSupport
import Testing

/// The relay under a RabbitMQ resource alarm: the broker blocks every publishing connection
/// (`connection.blocked`), so the AMQP sink and the dead-letter publisher cannot publish. The
/// relay must wait quietly (up, deciding into the log and the file sink, the AMQP sink's records
/// waiting in the log), lose nothing, and go on once the alarm clears.
///
/// The alarm is the broker's, shared by every test: `scripts/test.sh` runs this suite alone,
/// and the alarm is cleared however the test ends.
@Suite("mts-relay run under a broker resource alarm", .serialized, .timeLimit(.minutes(5)))
struct BrokerAlarmTests {
    /// RabbitMQ's default high watermark, restored at the end.
    static let defaultWatermark = "0.4"

    static func raiseMemoryAlarm() async throws {
        try await RabbitMQControl.run(["set_vm_memory_high_watermark", "0.00001"])
        try await waitUntil("the broker's memory alarm", timeout: .seconds(30), every: .milliseconds(250)) {
            let alarms = try await ChildProcess.run("/usr/bin/env", ["rabbitmq-diagnostics", "-q", "alarms"])
            return alarms.output.lowercased().contains("memory alarm")
        }
    }

    static func clearMemoryAlarm() async throws {
        try await RabbitMQControl.run(["set_vm_memory_high_watermark", defaultWatermark])
        try await waitUntil("the memory alarm cleared", timeout: .seconds(30), every: .milliseconds(250)) {
            let alarms = try await ChildProcess.run("/usr/bin/env", ["rabbitmq-diagnostics", "-q", "alarms"])
            return !alarms.output.lowercased().contains("memory alarm")
        }
    }

    @Test func aMemoryAlarmBlocksTheAMQPSinkAndTheDeadLettersAndNothingIsLost() async throws {
        let harness = try DaemonHarness(
            name: "alarm",
            extraSinks: """
                  - type: amqp
                    name: bus
                    exchange: PREFIX.results
                    routingKey: "{outcome}"
                    retry:
                      initialDelayMs: 50
                      maxDelayMs: 500
                """)
        try harness.replaceInConfig("PREFIX", with: harness.prefix)
        let busQueue = "\(harness.prefix).bus"
        try await harness.bindQueue(busQueue, to: "\(harness.prefix).results")
        // Published before the alarm (it blocks this test's publisher too): 200 pairs and one
        // request that is not JSON, to be dead-lettered.
        let (ids, messages) = DaemonResilienceTests.pairs(harness, count: 200)
        try await harness.publishAll(
            messages + [("{poison", harness.intakeQueue, "\(harness.prefix)-poison")])

        do {
            try await Self.raiseMemoryAlarm()
            try await harness.startAndWait()
            // Consuming goes on, every decision reaches the file sink and its reply is
            // acknowledged (the record is in the log; the AMQP sink reads it later);
            // publishing is blocked.
            _ = try await harness.waitForResults(timeout: .seconds(60)) { records in
                Set(records.compactMap { $0["correlationId"] as? String }).isSuperset(of: ids)
            }
            try await harness.waitForLog("The broker blocked publishing on this connection")
            try await letTimePass(.seconds(2), "the alarm lasting a while, with the sinks retrying")
            #expect(harness.isRunning)
            #expect(
                try await HTTPSinkDaemonTests.counts(of: busQueue)?.ready == 0, "published under the alarm")
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.replyQueue, timeout: .seconds(30))
            #expect(try await HTTPSinkDaemonTests.counts(of: harness.deadLetterQueue)?.ready == 0)
            // Quiet: no step down, no exit, no reconnect storm.
            #expect(!harness.log.contains("Cannot connect to the broker"))
            #expect(harness.logCount("level=critical") == 0, "\(harness.log.suffix(2000))")
        } catch {
            try? await Self.clearMemoryAlarm()
            await harness.tearDown()
            throw error
        }

        try await Self.clearMemoryAlarm()
        do {
            try await harness.waitForLog("The broker unblocked publishing on this connection")
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.replyQueue, timeout: .seconds(60))
            try await HTTPSinkDaemonTests.waitUntilDrained(harness.intakeQueue, timeout: .seconds(60))
            _ = try await harness.waitForResults(timeout: .seconds(60)) { records in
                Set(records.compactMap { $0["correlationId"] as? String }).isSuperset(of: ids)
            }
            try await waitUntil("200 records on the bus", timeout: .seconds(60), every: .milliseconds(250)) {
                try await HTTPSinkDaemonTests.counts(of: busQueue)?.ready ?? 0 >= 200
            }
            let dead = try await harness.deadLetters(count: 1, timeout: .seconds(30))
            #expect(dead.count == 1)
            let bus = try await harness.drain(busQueue, count: 200, timeout: .seconds(30))
            let published = Set(
                bus.compactMap {
                    (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any])?[
                        "correlationId"]
                        as? String
                })
            #expect(published == Set(ids), "\(published.count) of \(ids.count) records on the bus")
            print(
                "broker alarm: 200 records in the log during the alarm, all published after it; 1 dead letter"
            )
            #expect(try await harness.stop().status == 0)
        } catch {
            await harness.tearDown()
            throw error
        }
        await harness.tearDown()
    }
}
