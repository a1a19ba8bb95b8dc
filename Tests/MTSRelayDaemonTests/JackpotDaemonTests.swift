import Foundation
import MTSProtocol
import TestSupport
import Testing

/// Jackpot tickets end to end: the real `mts-relay` with a `jackpot` section, the real broker,
/// and a real HTTP server playing the Bet Engine (``BetEngineStub``).
@Suite("Jackpot tickets (daemon)", .serialized)
struct JackpotDaemonTests {
    static let secret = "12345ABCDE"

    static func harness(
        _ name: String, stub: BetEngineStub, timeoutMs: Int = 3000, concurrency: Int = 8, prefetch: Int = 100
    ) throws -> DaemonHarness {
        let harness = try DaemonHarness(
            name: name,
            extraYAML: """
                jackpot:
                  queue: JACKPOT_QUEUE
                  url: \(stub.url)
                  operatorName: demo-operator
                  timeoutMs: \(timeoutMs)
                  concurrency: \(concurrency)
                  prefetch: \(prefetch)
                """)
        try harness.replaceInConfig("JACKPOT_QUEUE", with: harness.jackpotQueue)
        return harness
    }

    /// Runs `body` with a stub and a harness, and tears both down however it ends.
    static func withJackpot(
        _ name: String, delay: Duration = .milliseconds(1500), timeoutMs: Int = 3000, concurrency: Int = 8,
        prefetch: Int = 100, body: (DaemonHarness, BetEngineStub) async throws -> Void
    ) async throws {
        let stub = try await BetEngineStub(secret: secret, delay: delay)
        let harness = try Self.harness(
            name, stub: stub, timeoutMs: timeoutMs, concurrency: concurrency, prefetch: prefetch)
        do {
            try await body(harness, stub)
        } catch {
            await harness.tearDown()
            await stub.stop()
            throw error
        }
        await harness.tearDown()
        await stub.stop()
    }

    static func byId(_ records: [[String: Any]]) -> [String: [[String: Any]]] {
        Dictionary(grouping: records.filter { $0["operation"] as? String == "jackpot-ticket" }) {
            $0["correlationId"] as? String ?? "-"
        }
    }

    @Test("every row of the answer table, invalid messages, headers and the signed canonical body")
    func answerTable() async throws {
        try await Self.withJackpot("jackpot-table") { harness, stub in
            try harness.start(environment: ["MTS_RELAY_JACKPOT_SECRET": Self.secret])
            try await harness.waitUntilReady()

            let ids = [
                "ok-1", "badticket-1", "e400-1", "e422-1", "busy-1", "unavailable-1", "e500-1", "slow-1",
            ].map { "\($0)-\(harness.prefix)" }
            for id in ids {
                try await harness.publish(
                    BetEngineStub.request(token: id), to: harness.jackpotQueue, correlationID: id)
            }
            try await harness.publish(
                BetEngineStub.request(token: "ok-noid"), to: harness.jackpotQueue, correlationID: nil)
            try await harness.publish(
                #"{"operator":"o","token":"t","price":"35.00"}"#, to: harness.jackpotQueue,
                correlationID: "bad-body")

            let records = try await harness.waitForResults(timeout: .seconds(30)) { records in
                Self.byId(records).count >= ids.count + 2
            }
            let results = Self.byId(records)
            func only(_ id: String) throws -> [String: Any] {
                let list = try #require(results[id], "no record for \(id)")
                #expect(list.count == 1, "\(id): \(list)")
                return list[0]
            }
            let ok = try only(ids[0])
            #expect(ok["outcome"] as? String == "matched")
            #expect(ok["status"] as? String == "accepted")
            #expect(ok["ticketId"] as? String == "T-\(ids[0])")
            #expect(ok["httpStatus"] as? Int == 200)
            #expect(ok["error"] is NSNull)
            #expect((ok["reply"] as? [String: Any])?["code"] as? String == "JP8K2M4Q")
            #expect((ok["request"] as? [String: Any])?["token"] as? String == ids[0])

            let badTicket = try only(ids[1])
            #expect(badTicket["outcome"] as? String == "matched")
            #expect(badTicket["ticketId"] as? String == "T-\(ids[1])")
            #expect((badTicket["error"] as? String)?.contains("status") == true)
            #expect(harness.log.contains("Answer breaks the API's rules"))

            for (index, status) in [(2, 400), (3, 422)] {
                let rejected = try only(ids[index])
                #expect(rejected["outcome"] as? String == "matched")
                #expect(rejected["status"] as? String == "rejected")
                #expect(rejected["httpStatus"] as? Int == status)
            }
            #expect(try only(ids[2])["code"] as? Int == 102)
            #expect(try only(ids[2])["codeDescription"] as? String == "Ticket odds changed")

            for index in [4, 5] {
                let retried = try only(ids[index])
                #expect(retried["outcome"] as? String == "matched")
                #expect(retried["httpStatus"] as? Int == 200)
                #expect(stub.posts[ids[index]] == 2, "429/503 is retried once it is allowed")
            }
            for index in [6, 7] {
                let unknown = try only(ids[index])
                #expect(unknown["outcome"] as? String == "timeout")
                #expect(
                    (unknown["error"] as? String)?.hasPrefix(
                        "outcome unknown: the ticket may have been created") == true)
            }
            for index in [0, 1, 2, 3, 6, 7] {
                #expect(
                    stub.posts[ids[index]] == 1, "\(ids[index]) POSTed \(stub.posts[ids[index]] ?? 0) times")
            }

            // Invalid: no correlation id, a body breaking the rules; dead-lettered, never sent.
            let invalid = records.filter { $0["outcome"] as? String == "invalid" }
            #expect(invalid.count == 2)
            #expect(invalid.contains { ($0["error"] as? String)?.contains("correlation_id") == true })
            #expect(invalid.contains { ($0["error"] as? String)?.contains("price") == true })
            #expect(stub.posts["ok-noid"] == nil && stub.posts["t"] == nil)
            #expect(try await harness.deadLetters(count: 2).count == 2)

            // Headers and body as the Bet Engine wants them.
            let post = try #require(stub.server.requests.first { $0.body.contains(Array(ids[0].utf8)) })
            #expect(post.header("operator-name") == "demo-operator")
            let timestamp = try #require(post.header("timestamp").flatMap { Int64($0) })
            #expect(abs(timestamp - Int64(Date().timeIntervalSince1970)) < 120)
            #expect(
                post.header("signature")
                    == JackpotSignature.sign(secret: Self.secret, timestamp: timestamp, body: post.body))
            let sent = try #require(
                JackpotTicketRequest.decode(Array(BetEngineStub.request(token: ids[0]).utf8)).value)
            #expect(post.body == sent.canonicalBody)
            #expect(
                String(decoding: post.body, as: UTF8.self).hasPrefix(#"{"operator":"demo-operator","token":"#)
            )
            #expect(String(decoding: post.body, as: UTF8.self).contains(#""odds":2.50}"#))
            #expect(!harness.log.contains(Self.secret), "the secret is never logged")

            let stopped = try await harness.stop()
            #expect(stopped.status == 0, "\(harness.log.suffix(3000))")
            #expect(harness.log.contains("jackpot.sent=") || harness.log.contains("jackpot.answered"))
        }
    }

    @Test("a wrong secret: the Bet Engine answers 403, recorded as rejected, never retried")
    func wrongSecret() async throws {
        try await Self.withJackpot("jackpot-403") { harness, stub in
            try harness.start(environment: ["MTS_RELAY_JACKPOT_SECRET": "not-the-secret"])
            try await harness.waitUntilReady()
            let id = "ok-\(harness.prefix)"
            try await harness.publish(
                BetEngineStub.request(token: id), to: harness.jackpotQueue, correlationID: id)
            let records = try await harness.waitForResults { Self.byId($0)[id] != nil }
            let record = try #require(Self.byId(records)[id]?.first)
            #expect(record["outcome"] as? String == "matched")
            #expect(record["status"] as? String == "rejected")
            #expect(record["httpStatus"] as? Int == 403)
            #expect(record["code"] as? Int == 403)
            #expect(stub.posts[id] == 1)
            #expect(stub.refusedSignatures == 1)
            #expect(!harness.log.contains("not-the-secret"))
            _ = try await harness.stop()
        }
    }

    @Test(
        "no connection (refused before the request was written): retried until the deadline, never an unknown"
    )
    func connectionRefusedIsRetried() async throws {
        try await Self.withJackpot("jackpot-refused", timeoutMs: 2000) { harness, stub in
            // Nothing listens on the Bet Engine's port any more.
            await stub.stop()
            try harness.start(environment: ["MTS_RELAY_JACKPOT_SECRET": Self.secret])
            try await harness.waitUntilReady()
            let id = "ok-\(harness.prefix)"
            try await harness.publish(
                BetEngineStub.request(token: id), to: harness.jackpotQueue, correlationID: id)
            let records = try await harness.waitForResults { Self.byId($0)[id] != nil }
            let record = try #require(Self.byId(records)[id]?.first)
            #expect(record["outcome"] as? String == "timeout")
            #expect(
                (record["error"] as? String)?.hasPrefix(
                    "not sent: no attempt reached the upstream before the deadline") == true)
            let retries =
                harness.log.components(separatedBy: "Upstream did not take the request; retrying").count - 1
            #expect(retries >= 2, "connection failures are retried")
            #expect(harness.log.contains("could not connect"))
            #expect(!harness.log.contains("Outcome unknown"))
            _ = try await harness.stop()
        }
    }

    @Test("SIGKILL while 200 POSTs are in flight: one final result each, no correlation id POSTed twice")
    func killWhilePostsAreInFlight() async throws {
        try await Self.withJackpot("jackpot-kill", timeoutMs: 5000, concurrency: 256, prefetch: 300) {
            harness, stub in
            try harness.start(environment: ["MTS_RELAY_JACKPOT_SECRET": Self.secret])
            try await harness.waitUntilReady()
            let ids = (0..<300).map { "delay-\($0)-\(harness.prefix)" }
            try await harness.publishAll(
                ids.map { (BetEngineStub.request(token: $0), harness.jackpotQueue, $0) })
            // Kill once 200 POSTs are under way (the stub answers each after 1.5 s).
            try await waitUntil("200 POSTs at the stub", every: .milliseconds(5)) { stub.posts.count >= 200 }
            _ = try await harness.stop(signal: SIGKILL)
            let postedBeforeKill = stub.posts.count
            // A POST that arrived `delay` or more before the kill may have been answered, and
            // its match committed, before it; on a loaded machine the first of the 200 can.
            let killedBy = ContinuousClock.now
            let answerable = stub.firstPostArrivals.values.filter { killedBy - $0 >= stub.delay }.count

            try harness.start(environment: ["MTS_RELAY_JACKPOT_SECRET": Self.secret])
            try await harness.waitUntilReady()
            let records = try await harness.waitForResults(timeout: .seconds(60)) { records in
                let results = Self.byId(records)
                return ids.allSatisfy { id in
                    results[id]?.contains { ["matched", "timeout"].contains($0["outcome"] as? String) }
                        == true
                }
            }
            let results = Self.byId(records)
            var matched = 0
            var timedOut = 0
            for id in ids {
                let finals = (results[id] ?? []).filter {
                    ["matched", "timeout"].contains($0["outcome"] as? String)
                }
                #expect(
                    DaemonResilienceTests.decisions(in: finals) <= 1, "\(id): \(finals.count) final results")
                #expect(
                    Set(finals.map { $0["outcome"] as? String }).count == 1, "\(id): conflicting outcomes")
                switch finals.first?["outcome"] as? String {
                case "matched": matched += 1
                case "timeout": timedOut += 1
                default: Issue.record("\(id) has no final record")
                }
                #expect((stub.posts[id] ?? 0) <= 1, "\(id) POSTed \(stub.posts[id] ?? 0) times")
            }
            // Every POST under way at the kill (and every request marked sent whose POST had not
            // reached the stub yet) times out as outcome unknown; the rest are sent after the restart.
            #expect(timedOut >= postedBeforeKill - answerable)
            #expect(matched > 0)
            let unknown = ids.compactMap { results[$0]?.first }.filter {
                $0["outcome"] as? String == "timeout"
            }
            #expect(
                unknown.allSatisfy {
                    ($0["error"] as? String)?.hasPrefix("outcome unknown: the ticket may have been created")
                        == true
                })
            print(
                "jackpot kill test: \(postedBeforeKill) POSTed before the kill (\(answerable) of them early enough to be answered before it); matched \(matched), timeout \(timedOut)"
            )
            _ = try await harness.stop()
        }
    }
}
