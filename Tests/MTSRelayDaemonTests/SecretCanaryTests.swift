import AMQPClient
import Foundation
import TestSupport
import Testing

/// A canary secret planted everywhere the relay takes one, then looked for in everything the
/// relay writes: its log (start, reconnects, login refusals, metrics lines), the systemd
/// notifications (STATUS), `check-config`'s output, every file it creates (results, dead-letter
/// file, store), the dead-lettered message's headers and body, and the http sink's requests
/// (every header but the one meant to carry the token, and every body).
///
/// Every planted secret contains the one canary, so the final check covers a new place without
/// change. The jackpot secret (`MTS_RELAY_JACKPOT_SECRET`) holds it too: a jackpot ticket goes
/// through a Bet Engine stub that checks its signature, so the secret was used, not just read.
@Suite("Secrets: a canary never leaks", .timeLimit(.minutes(3)))
struct SecretCanaryTests {
    @Test func canaryAppearsInNothingTheRelayWrites() async throws {
        let canary = "Cnry" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16)
        let user = "relay-canary-\(UUID().uuidString.prefix(6))"
        try await RabbitMQControl.run(["add_user", user, canary])
        try await RabbitMQControl.run(["set_permissions", "-p", "/", user, ".*", ".*", ".*"])
        do {
            try await Self.plantAndLook(canary: canary, user: user)
        } catch {
            _ = try? await RabbitMQControl.run(["delete_user", user])
            throw error
        }
        try await RabbitMQControl.run(["delete_user", user])
    }

    /// The canary planted everywhere a secret goes, for the broker user `user`; then every
    /// place the relay writes is searched for it.
    static func plantAndLook(canary: String, user: String) async throws {
        let requests = Locked<[TestHTTPServer.Request]>([])
        let server = try await TestHTTPServer { request in
            requests.withLock { $0.append(request) }
            return .init(status: 200)
        }
        let listener = try NotifySocketListener()
        let betEngine = try await BetEngineStub(secret: "jackpot-\(canary)", delay: .milliseconds(10))
        let harness = try DaemonHarness(
            name: "canary", brokerURL: "amqp://\(user):\(canary)@127.0.0.1:5672/",
            extraSinks: """
                  - type: http
                    name: hook
                    url: \(server.url)
                    headers: {Authorization: "Bearer ${CANARY_TOKEN}", X-Source: canary-test}
                    deadLetterPath: DIR/refused.jsonl
                    retry: {initialDelayMs: 100, maxDelayMs: 500}
                """,
            extraYAML: """
                metrics:
                  intervalSeconds: 1
                jackpot:
                  queue: JACKPOT_QUEUE
                  url: \(betEngine.url)
                  operatorName: canary-operator
                """)
        try harness.replaceInConfig("DIR", with: harness.directory.path)
        try harness.replaceInConfig("JACKPOT_QUEUE", with: harness.jackpotQueue)
        let environment = [
            // The broker URL's password is in the file; the intake's comes from the environment.
            "MTS_RELAY_INTAKE_URL": "amqp://\(user):\(canary)@localhost:5672/",
            "CANARY_TOKEN": "token-\(canary)",
            "MTS_RELAY_JACKPOT_SECRET": "jackpot-\(canary)",
        ]
        var evidence: [(what: String, text: String)] = []
        do {
            // Readable by others, so that check-config warns about the password in it.
            chmod(harness.configPath, 0o644)
            let checked = try await CheckConfigCommandTests.run(
                ["--config", harness.configPath], environment: environment)
            #expect(checked.status == 0)
            #expect(checked.standardError.contains("warning: broker.url:"))
            evidence += [
                ("check-config stdout", checked.standardOutput),
                ("check-config stderr", checked.standardError),
            ]

            try harness.start(environment: environment.merging(listener.environment) { $1 })
            try await harness.waitUntilReady()
            let ids = (0..<5).map { "\(harness.prefix)-\($0)" }
            try await HTTPSinkDaemonTests.publishPairs(ids, to: harness)
            try await harness.publish(
                "not json, dead-lettered", to: harness.replyQueue, correlationID: "canary-bad")
            let ticket = "ok-\(harness.prefix)"
            try await harness.publish(
                BetEngineStub.request(token: ticket), to: harness.jackpotQueue, correlationID: ticket)
            let records = try await harness.waitForResults { $0.count >= 7 }
            #expect(
                records.contains {
                    $0["correlationId"] as? String == ticket && $0["status"] as? String == "accepted"
                },
                "the jackpot ticket was signed with the secret and accepted")

            // Reconnects, then login refusals while the password is wrong, then back.
            #expect(try await harness.closeDaemonConnections() == 2)
            try await waitFor("Reconnected to the broker", in: harness)
            try await RabbitMQControl.run(["change_password", user, "other-\(UUID().uuidString)"])
            try await harness.closeDaemonConnections()
            try await waitFor("ACCESS_REFUSED", in: harness)
            try await RabbitMQControl.run(["change_password", user, canary])
            // Both loops reconnect once the password is right again (within the backoff's 5 s
            // ceiling), and a metrics line is written.
            try await harness.waitForLog("Reconnected to the broker", count: 4)
            try await harness.waitForLog("pending=")
            #expect(harness.log.contains("relay-canary"))
            #expect(harness.log.contains("pending="))
            #expect(listener.assignments.contains { $0.hasPrefix("STATUS=") })
            #expect(try await harness.stop().status == 0)

            for letter in try await harness.deadLetters(count: 1) {
                evidence.append(
                    ("dead letter", "\(letter.properties) \(String(decoding: letter.body, as: UTF8.self))"))
            }
            #expect(evidence.contains { $0.what == "dead letter" })
            // The token reaches the endpoint in the header meant for it, and nowhere else.
            let received = requests.value
            #expect(!received.isEmpty)
            for request in received {
                #expect(request.header("Authorization") == "Bearer token-\(canary)")
                let others = request.headers.filter { $0.0.lowercased() != "authorization" }
                evidence.append(
                    (
                        "http request",
                        "\(request.uri) \(others) \(String(decoding: request.body, as: UTF8.self))"
                    ))
            }
            evidence.append(("daemon log", harness.log))
            evidence += listener.messages.map { ("systemd notification", $0) }
            for file in try FileManager.default.contentsOfDirectory(atPath: harness.directory.path)
            where file != "mts-relay.yaml" {  // the test's own input
                let data = FileManager.default.contents(
                    atPath: harness.directory.appendingPathComponent(file).path)
                evidence.append((file, String(decoding: data ?? Data(), as: UTF8.self)))
            }
            #expect(evidence.contains { $0.what == "results.jsonl" })
            #expect(evidence.contains { $0.what == "pending.sqlite" })

            for (what, text) in evidence {
                #expect(!text.contains(canary), "the canary leaked into \(what)")
            }
        } catch {
            await harness.tearDown()
            await server.stop()
            await betEngine.stop()
            throw error
        }
        await harness.tearDown()
        await server.stop()
        await betEngine.stop()
    }

    private static func waitFor(_ text: String, in harness: DaemonHarness) async throws {
        try await harness.waitForLog(text)
    }
}
