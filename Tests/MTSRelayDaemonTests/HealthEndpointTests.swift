import Foundation
import TestSupport
import Testing

/// `GET /health` and `GET /ready` on the Prometheus listener, through the real executable: alive
/// as soon as it listens; ready only while it consumes as the active relay, or stands by as a
/// member of its group.
@Suite("mts-relay run: /health and /ready", .timeLimit(.minutes(3)))
struct HealthEndpointTests {
    static func metricsYAML(port: Int) -> String {
        """
        metrics:
          intervalSeconds: 1
          prometheus:
            listen: 127.0.0.1:\(port)
        """
    }

    /// Polls `url` until `condition` holds of its answer, or the deadline passes; returns the last
    /// answer (status 0 while nothing listens).
    static func poll(
        _ url: String, timeout: Duration = .seconds(15), until condition: (Int, String) -> Bool
    ) async throws -> (status: Int, body: String) {
        var last = (status: 0, body: "")
        _ = await eventually(timeout: timeout, every: .milliseconds(100)) {
            last = (try? await DaemonServicesTests.get(url)) ?? (0, "")
            return condition(last.status, last.body)
        }
        return last
    }

    @Test func aRelayThatCannotReachItsBrokerIsAliveButNotReady() async throws {
        let port = try LoopbackPort.free()
        let closed = try LoopbackPort.free()
        let harness = try DaemonHarness(
            name: "health-no-broker", brokerURL: "amqp://guest:guest@127.0.0.1:\(closed)/",
            extraYAML: Self.metricsYAML(port: port))
        try harness.start()
        let health = try await Self.poll("http://127.0.0.1:\(port)/health") { status, _ in status != 0 }
        #expect(health.status == 200)
        #expect(health.body == "alive\n")
        let ready = try await DaemonServicesTests.get("http://127.0.0.1:\(port)/ready")
        #expect(ready.status == 503)
        #expect(ready.body == "not ready: active, not consuming yet\n")
        #expect(harness.isRunning, "a broker that does not answer is retried, not fatal")
        // A consumer waiting to reconnect has nothing to drain: SIGTERM ends it at once.
        let (status, took) = try await harness.stop()
        #expect(status == 0)
        #expect(took < .seconds(5))
        await harness.tearDown()
    }

    @Test func anActiveRelayIsReadyOnceItConsumes() async throws {
        let port = try LoopbackPort.free()
        let harness = try DaemonHarness(name: "health-active", extraYAML: Self.metricsYAML(port: port))
        try await harness.startAndWait()
        let ready = try await Self.poll("http://127.0.0.1:\(port)/ready") { status, _ in status == 200 }
        #expect(ready.status == 200)
        #expect(ready.body == "ready: active\n")
        #expect(try await DaemonServicesTests.get("http://127.0.0.1:\(port)/health").status == 200)
        let (status, _) = try await harness.stop()
        #expect(status == 0)
        #expect(!LoopbackPort.accepts(port))
        await harness.tearDown()
    }

    @Test func aStandbyMemberIsReadyAndAnActiveOneToo() async throws {
        let (portA, portB) = (try LoopbackPort.free(), try LoopbackPort.free())
        let a = try Self.member("a", port: portA, sharing: nil)
        let b = try Self.member("b", port: portB, sharing: a)
        try a.start()
        try await a.waitUntilReady()
        try b.start()
        let standby = try await Self.poll("http://127.0.0.1:\(portB)/ready") { status, _ in status == 200 }
        #expect(standby.status == 200)
        #expect(standby.body == "ready: standby\n")
        let active = try await Self.poll("http://127.0.0.1:\(portA)/ready") { status, _ in status == 200 }
        #expect(active.body == "ready: active\n")
        try await DaemonHighAvailabilityTests.finish([b, a])
    }

    /// A member of a PostgreSQL group (the group is the first member's queue prefix).
    static func member(_ node: String, port: Int, sharing first: DaemonHarness?) throws -> DaemonHarness {
        let harness = try DaemonHarness(
            name: "ha-\(node)",
            extraYAML: """
                ha:
                  group: GROUP
                  node: \(node)
                \(metricsYAML(port: port))
                """,
            store: "  url: \(DaemonHighAvailabilityTests.postgresURL)", sharingQueuesWith: first)
        try harness.replaceInConfig("GROUP", with: first?.prefix ?? harness.prefix)
        return harness
    }
}
