import Foundation
import MTSCorrelation
import TestSupport
import Testing

/// High availability through the real executables: two `mts-relay run` processes sharing one
/// PostgreSQL store, one group and the same queues on the real broker. One is active, the other
/// stands by; the tests kill, pause and starve the active one and check that every pair is
/// decided once (repeats only `redelivered`, or the same record again by its `seq`), that
/// nothing times out, and who wrote what (`node`).
@Suite(.serialized) struct DaemonHighAvailabilityTests {
    /// The test PostgreSQL (`MTS_RELAY_TEST_POSTGRES_URL`), as in the store tests: over
    /// `sslmode=verify-full` with the test CA.
    static var postgresURL: String {
        ProcessInfo.processInfo.environment["MTS_RELAY_TEST_POSTGRES_URL"]
            ?? "postgresql://mts_relay:mts_relay@localhost:5432/mts_relay?sslmode=verify-full&sslrootcert=\(DaemonHarness.tlsFile("ca.pem"))"
    }

    /// Checks, through `pg_stat_ssl`, that every database session of the group's members is
    /// encrypted; `expected` is how many there are at least (a lease session per member, a
    /// store session for the active).
    static func expectEncryptedSessions(ofGroup group: String, atLeast expected: Int) async throws {
        let sessions = try await PostgresServer.sessions(ofGroup: group)
        print("high availability: the group's database sessions: \(sessions)")
        #expect(sessions.count >= expected, "\(sessions)")
        #expect(sessions.allSatisfy { $0.hasSuffix("|true") }, "\(sessions)")
    }

    /// One member of a group on `first`'s queues (or the first member, with `first` nil).
    static func member(
        _ node: String, group: String? = nil, sharing first: DaemonHarness? = nil
    ) throws
        -> DaemonHarness
    {
        let group = group ?? first?.prefix ?? "unused"
        let harness = try DaemonHarness(
            name: "ha-\(node)",
            extraYAML: """
                ha:
                  group: GROUP
                  node: \(node)
                metrics:
                  intervalSeconds: 1
                """,
            store: "  url: \(postgresURL)", sharingQueuesWith: first)
        // The group is the queues' prefix, known only once the first harness exists.
        try harness.replaceInConfig("GROUP", with: first == nil ? harness.prefix : group)
        return harness
    }

    /// Two members on one set of queues: `a` started and active, `b` started and standing by.
    static func startedPair() async throws -> (a: DaemonHarness, b: DaemonHarness) {
        let a = try member("a")
        let b = try member("b", sharing: a)
        try a.start()
        try await a.waitUntilReady()
        try b.start()
        try await waitUntilStandingBy(b)
        return (a, b)
    }

    /// Stops the members still running (SIGTERM: a clean exit is part of the test) and removes
    /// their queues and files.
    static func finish(_ members: [DaemonHarness]) async throws {
        for member in members where member.isRunning {
            let stopped = try await member.stop()
            #expect(stopped.status == 0, "a member exited with \(stopped.status)")
        }
        for member in members { await member.tearDown() }
        // The group's rows too: left behind, they would pile up run after run in a database
        // the store reads by sequential scan.
        if let group = members.first?.prefix { try await PostgresServer.deleteRows(ofGroup: group) }
    }

    /// How often the member logged that it stands by.
    static func standbyMarks(_ member: DaemonHarness) -> Int {
        member.log.components(separatedBy: "mts-relay is standing by").count - 1
    }

    /// Waits until the member logged that it stands by (`count` times in its log, in all).
    static func waitUntilStandingBy(_ member: DaemonHarness, count: Int = 1) async throws {
        try await member.waitForLog("mts-relay is standing by", count: count, timeout: .seconds(30))
    }

    /// Waits until `member` has written `more` records than it had when called.
    static func waitForRecords(
        of member: DaemonHarness, more: Int, timeout: Duration = .seconds(60)
    ) async throws {
        let before = try member.results().count
        try await waitUntil("\(more) more records", timeout: timeout, every: .milliseconds(100)) {
            try member.results().count >= before + more
        }
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    /// Waits until the file at `path` grows past `size`; returns how long it took from `since`.
    static func waitForGrowth(
        of path: String, beyond size: Int, since: ContinuousClock.Instant, timeout: Duration = .seconds(60)
    ) async throws -> Duration {
        try await waitUntil("a record in \(path)", timeout: timeout - (ContinuousClock.now - since)) {
            fileSize(path) > size
        }
        return ContinuousClock.now - since
    }

    /// Publishes `pairs` tickets with their replies trailing `trailing` requests behind, in
    /// steps of `step` requests (and as many replies) every `interval`.
    static func publishPaced(
        on harness: DaemonHarness, ids: [String], trailing: Int, step: Int, interval: Duration
    ) async throws {
        var next = 0
        while next < ids.count + trailing {
            let started = ContinuousClock.now
            var messages: [(body: String, queue: String, correlationID: String?)] = []
            for index in next..<min(next + step, ids.count + trailing) {
                if index < ids.count {
                    messages.append(
                        (MTSMessages.ticketRequest(ids[index]), harness.intakeQueue, ids[index]))
                }
                if index >= trailing {
                    let id = ids[index - trailing]
                    messages.append((MTSMessages.ticketReply(id), harness.replyQueue, id))
                }
            }
            try await harness.publishAll(messages)
            next += step
            try await letTimePass(started + interval - .now, "the traffic's pace")
        }
    }

    /// Every record of both members, each with the member whose file it is in.
    static func records(of members: [DaemonHarness]) throws -> [[String: Any]] {
        try members.flatMap { try $0.results() }
    }

    /// Checks the union of the members' records: every id matched, no timeout, and repeats
    /// only redelivered or with the `seq` of an earlier delivery (at most one decision per id
    /// without the flag: the first; its record may be missing when the relay died before
    /// committing it, and the redelivered reply then makes the only one). Returns how many
    /// repeats there were.
    ///
    /// The members share one log of results in PostgreSQL: a `seq` names one record whichever
    /// member delivered it, so a repeat with the same `seq` is a sink resumed at its cursor after
    /// a takeover, and one with a new `seq` a decision made again (a reply redelivered before its
    /// record was committed).
    @discardableResult
    static func checkAllMatchedOnce(_ records: [[String: Any]], ids: [String]) -> Int {
        var matched: [String: Int] = [:]
        var fresh: [String: Set<Int>] = [:]
        var idBySeq: [Int: String] = [:]
        for record in records {
            if let seq = record["seq"] as? Int, let id = record["correlationId"] as? String {
                #expect(idBySeq[seq, default: id] == id, "seq \(seq) names two records")
                idBySeq[seq] = id
            }
            let outcome = record["outcome"] as? String
            #expect(outcome == "matched", "record \(record["correlationId"] ?? "?") is \(outcome ?? "?")")
            guard let id = record["correlationId"] as? String else { continue }
            matched[id, default: 0] += 1
            if record["redelivered"] as? Bool != true {
                fresh[id, default: []].insert(record["seq"] as? Int ?? -1)
            }
        }
        #expect(matched.count == ids.count, "\(matched.count) of \(ids.count) ids matched")
        #expect(Set(matched.keys) == Set(ids))
        // Decided twice without the flag: two records (two seqs) for one id.
        let repeatedFresh = fresh.filter { $0.value.count > 1 }
        #expect(
            repeatedFresh.isEmpty, "ids decided twice without redelivered: \(repeatedFresh.keys.prefix(5))")
        let repeats = matched.values.reduce(0) { $0 + $1 - 1 }
        let sameSeq = records.count - idBySeq.count - records.filter { $0["seq"] == nil }.count
        print(
            "repeats: \(repeats), of them \(sameSeq) with a seq already delivered (a sink resumed at its cursor)"
        )
        return repeats
    }

    static func allMatched(_ ids: [String]) -> ([[String: Any]]) -> Bool {
        let wanted = Set(ids)
        return { records in
            Set(
                records.compactMap {
                    $0["outcome"] as? String == "matched" ? $0["correlationId"] as? String : nil
                }
            )
            .isSuperset(of: wanted)
        }
    }

    static func waitForAll(
        _ ids: [String], members: [DaemonHarness], timeout: Duration
    ) async throws
        -> [[String: Any]]
    {
        let done = allMatched(ids)
        var records: [[String: Any]] = []
        do {
            try await waitUntil("every pair matched", timeout: timeout, every: .milliseconds(200)) {
                records = try Self.records(of: members)
                return done(records)
            }
        } catch is ConditionTimeout {
            throw HarnessError(
                "\(records.count) records after \(timeout)\n--- a:\n\(members[0].log.suffix(2500))\n--- b:\n\(members[1].log.suffix(2500))"
            )
        }
        return records
    }

    @Test func theActiveKilledTwiceIsTakenOverWithinTenSecondsAndEveryPairIsMatchedOnce() async throws {
        let (a, b) = try await Self.startedPair()
        try await Self.expectEncryptedSessions(ofGroup: a.prefix, atLeast: 3)

        let ids = (0..<20_000).map { "ha-kill-\($0)" }
        // About 800 pairs a second: the traffic lasts through both kills and takeovers.
        async let traffic: Void = Self.publishPaced(
            on: a, ids: ids, trailing: 500, step: 200, interval: .milliseconds(250))

        var takeovers: [Duration] = []
        var (active, standby) = (a, b)
        for round in 1...2 {
            // The active is in the middle of the traffic: it decided 2 000 pairs more.
            try await Self.waitForRecords(of: active, more: 2_000)
            let sizeBefore = Self.fileSize(standby.resultsPath)
            let killedAt = ContinuousClock.now
            _ = try await active.stop(signal: SIGKILL)
            let took = try await Self.waitForGrowth(
                of: standby.resultsPath, beyond: sizeBefore, since: killedAt, timeout: .seconds(30))
            takeovers.append(took)
            print("high availability: takeover \(round) took \(took) (kill to the new active's first record)")
            // The killed one comes back as a standby.
            let marks = Self.standbyMarks(active)
            try active.start()
            try await Self.waitUntilStandingBy(active, count: marks + 1)
            (active, standby) = (standby, active)
        }
        try await traffic
        let records = try await Self.waitForAll(ids, members: [a, b], timeout: .seconds(90))
        // After two takeovers: the new sessions are encrypted too.
        try await Self.expectEncryptedSessions(ofGroup: a.prefix, atLeast: 3)
        let repeats = Self.checkAllMatchedOnce(records, ids: ids)
        print(
            "high availability: \(ids.count) pairs, \(records.count) records (\(repeats) redelivered repeats), takeovers \(takeovers)"
        )
        for took in takeovers { #expect(took < .seconds(10), "a takeover took \(took)") }
        // The metrics lines said who was what: a active in epoch 1, b in 2, a again in 3.
        #expect(a.log.contains("epoch=1") && a.log.contains("epoch=3") && b.log.contains("epoch=2"))
        #expect(a.log.contains("role=standby") && b.log.contains("role=standby"))
        // Both members decided some: each wrote its own node into its records.
        // Both members decided some: each wrote its own node into the records it decided. A
        // new active's sink also delivers, from its cursor, records the old one decided.
        for (member, node) in [(a, "a"), (b, "b")] {
            let records = try member.results()
            #expect(records.contains { $0["node"] as? String == node })
            #expect(records.allSatisfy { ["a", "b"].contains($0["node"] as? String ?? "") })
        }
        try await Self.finish([a, b])
    }

    @Test func aPausedActiveIsTakenOverAndStepsDownWithoutEmittingARecord() async throws {
        let (a, b) = try await Self.startedPair()

        let ids = (0..<8_000).map { "ha-pause-\($0)" }
        async let traffic: Void = Self.publishPaced(
            on: a, ids: ids, trailing: 200, step: 100, interval: .milliseconds(200))
        try await Self.waitForRecords(of: a, more: 1_000)
        try a.send(signal: SIGSTOP)
        // The signal has landed before what a wrote so far is read.
        try await waitUntil("the active stopped") { a.isStopped }
        let linesAtPause = try a.results().count
        let sizeAtPause = Self.fileSize(a.resultsPath)
        let pausedAt = ContinuousClock.now
        let bBefore = Self.fileSize(b.resultsPath)
        let took: Duration
        do {
            took = try await Self.waitForGrowth(
                of: b.resultsPath, beyond: bBefore, since: pausedAt, timeout: .seconds(29))
        } catch {
            // The metrics lines (one a second) would hide the rest.
            let events = b.log.split(separator: "\n").filter { !$0.contains("msg=metrics") }
            throw HarnessError("\(error)\n--- b:\n\(events.suffix(40).joined(separator: "\n"))")
        }
        print("high availability: the standby took over \(took) after the pause")
        try await letTimePass(pausedAt + .seconds(30) - .now, "a 30 s pause of the old active")
        let marks = Self.standbyMarks(a)
        try a.send(signal: SIGCONT)
        try await traffic
        let records = try await Self.waitForAll(ids, members: [a, b], timeout: .seconds(90))
        Self.checkAllMatchedOnce(records, ids: ids)
        // The old active wrote nothing after it woke up; it stepped down and stands by.
        try await Self.waitUntilStandingBy(a, count: marks + 1)
        #expect(Self.fileSize(a.resultsPath) == sizeAtPause)
        #expect(try a.results().count == linesAtPause)
        #expect(a.log.contains("Stepped down"))
        print(
            "high availability: the paused member wrote \(linesAtPause) records before the pause, none after")
        try await Self.finish([a, b])
    }

    @Test func aPostgreSQLRestartUnderTrafficLosesNothing() async throws {
        let (a, b) = try await Self.startedPair()

        let ids = (0..<6_000).map { "ha-pg-\($0)" }
        async let traffic: Void = Self.publishPaced(
            on: a, ids: ids, trailing: 200, step: 100, interval: .milliseconds(200))
        try await Self.waitForRecords(of: a, more: 1_000)
        let restarted = try PostgresServer.restart()
        print("high availability: PostgreSQL restarted (\(restarted))")
        try await traffic
        let records = try await Self.waitForAll(ids, members: [a, b], timeout: .seconds(120))
        Self.checkAllMatchedOnce(records, ids: ids)
        #expect(a.isRunning && b.isRunning)
        try await Self.finish([a, b])
    }
}

extension DaemonHighAvailabilityTests {
    /// A group of one with a jackpot section: the relay steps down when PostgreSQL restarts
    /// under MTS traffic, takes the lease again in the same process, and its second term POSTs
    /// and pairs jackpot tickets as the first did (the HTTP client is the process's, not the
    /// term's).
    @Test func aReelectedRelayPostsAndPairsJackpotTicketsAsInItsFirstTerm() async throws {
        let stub = try await BetEngineStub(secret: JackpotDaemonTests.secret, delay: .milliseconds(50))
        let relay = try DaemonHarness(
            name: "ha-jackpot",
            extraYAML: """
                ha:
                  group: GROUP
                  node: solo
                jackpot:
                  queue: JACKPOT_QUEUE
                  url: \(stub.url)
                  operatorName: demo-operator
                  timeoutMs: 10000
                """,
            store: "  url: \(Self.postgresURL)")
        try relay.replaceInConfig("GROUP", with: relay.prefix)
        try relay.replaceInConfig("JACKPOT_QUEUE", with: relay.jackpotQueue)
        defer { Task { await stub.stop() } }
        try relay.start(environment: ["MTS_RELAY_JACKPOT_SECRET": JackpotDaemonTests.secret])
        try await relay.waitUntilReady()

        /// Publishes `count` jackpot tickets and `pairs` MTS pairs tagged `term`, and waits for
        /// every one of them to be matched.
        func traffic(term: Int, count: Int, pairs: Int) async throws -> (tickets: [String], pairs: [String]) {
            let tickets = (0..<count).map { "ok-t\(term)-\($0)-\(relay.prefix)" }
            let ids = (0..<pairs).map { "ha-jp-t\(term)-\($0)" }
            try await relay.publishAll(
                tickets.map { (BetEngineStub.request(token: $0), relay.jackpotQueue, $0) }
                    + ids.map { (MTSMessages.ticketRequest($0), relay.intakeQueue, $0) }
                    + ids.map { (MTSMessages.ticketReply($0), relay.replyQueue, $0) })
            let wanted = Set(tickets + ids)
            _ = try await relay.waitForResults(timeout: .seconds(60)) { records in
                let matched = Set(
                    records.compactMap {
                        $0["outcome"] as? String == "matched" ? $0["correlationId"] as? String : nil
                    })
                return matched.isSuperset(of: wanted)
            }
            return (tickets, ids)
        }

        let first = try await traffic(term: 1, count: 30, pairs: 200)

        // MTS traffic while PostgreSQL restarts: the term's store writes fail and it steps down.
        let during = (0..<2_000).map { "ha-jp-restart-\($0)" }
        async let paced: Void = Self.publishPaced(
            on: relay, ids: during, trailing: 100, step: 100, interval: .milliseconds(200))
        try await Self.waitForRecords(of: relay, more: 300)
        print("high availability: PostgreSQL restarted (\(try PostgresServer.restart()))")
        try await paced
        // The second term: a second lease and a second "ready" (all three consumers) after a
        // step-down.
        try await relay.waitForLog("Took the group's lease", count: 2, timeout: .seconds(60))
        try await relay.waitForLog("mts-relay is ready", count: 2, timeout: .seconds(60))
        #expect(relay.log.contains("Stepped down"))

        let second = try await traffic(term: 2, count: 30, pairs: 200)

        let records = try relay.results()
        for id in first.tickets + second.tickets {
            #expect(stub.posts[id] == 1, "\(id) POSTed \(stub.posts[id] ?? 0) times")
            let finals = records.filter {
                $0["correlationId"] as? String == id && $0["redelivered"] as? Bool != true
            }
            #expect(DaemonResilienceTests.decisions(in: finals) == 1, "\(id): \(finals.count) records")
            #expect(finals.first?["outcome"] as? String == "matched", "\(id): \(finals)")
        }
        #expect(!relay.log.contains("Outcome unknown"))
        #expect(!relay.log.contains("alreadyShutdown"))
        #expect(!records.contains { ($0["error"] as? String)?.contains("outcome unknown") == true })
        Self.checkAllMatchedOnce(
            records.filter { ($0["correlationId"] as? String)?.hasPrefix("ha-jp-") == true },
            ids: first.pairs + during + second.pairs)
        try await Self.finish([relay])
    }
}

/// The test PostgreSQL server: its cluster (Debian's `pg_ctlcluster`), for the outage test,
/// and clean-up.
enum PostgresServer {
    /// Deletes a group's rows in every table that holds some (and its jackpot store's), with
    /// `psql`.
    static func deleteRows(ofGroup group: String) async throws {
        let groups = "'\(group)', '\(group).jackpot'"
        let statements = PostgresSchema.groupTables.map {
            "DELETE FROM \($0) WHERE group_name IN (\(groups));"
        }
        let finished = try await ChildProcess.run(
            "/usr/bin/env",
            [
                "psql", DaemonHighAvailabilityTests.postgresURL, "-v", "ON_ERROR_STOP=1", "-qc",
                statements.joined(separator: " "),
            ])
        guard finished.status == 0 else {
            throw HarnessError("psql could not delete group \(group)'s rows: \(finished.output)")
        }
    }

    /// The group's sessions, `application_name|ssl` (`true` or `false`), from `pg_stat_ssl`.
    static func sessions(ofGroup group: String) async throws -> [String] {
        let finished = try await ChildProcess.run(
            "/usr/bin/env",
            [
                "psql", DaemonHighAvailabilityTests.postgresURL, "-v", "ON_ERROR_STOP=1", "-qAt", "-c",
                "SELECT a.application_name || '|' || s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
                    + "WHERE starts_with(a.application_name, 'mts-relay \(group) ') ORDER BY 1",
            ])
        guard finished.status == 0 else {
            throw HarnessError("psql could not read the sessions: \(finished.output)")
        }
        return finished.output.split(separator: "\n").map(String.init)
    }

    /// Restarts the cluster listening on the test URL's port; returns which one.
    static func restart() throws -> String {
        let port = URLComponents(string: DaemonHighAvailabilityTests.postgresURL)?.port ?? 5432
        let script = """
            set -euo pipefail
            read -r version name < <(pg_lsclusters --no-header | awk -v port=\(port) '$3 == port { print $1, $2; exit }')
            as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" restart -m fast
            echo "$version/$name"
            """
        // Into a file, not a pipe: the restarted server inherits the script's output, and a
        // pipe it holds open would never reach its end. Spawned and reaped by hand: Foundation's
        // Process was seen never to notice the script's exit once the server it restarted
        // (which inherits the script's descriptors) lived on.
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pg-restart-\(UUID().uuidString.prefix(6)).out"
        ).path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let command = "exec </dev/null >'\(outputPath)' 2>&1\n" + script
        var pid: pid_t = 0
        let arguments = ["/bin/bash", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, &argv, environ)
        guard spawned == 0 else {
            throw HarnessError("cannot run bash: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS, by hand (C macros).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw HarnessError("restarting PostgreSQL failed (\(status)): \(text)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
