import Benchmark
import Foundation
import MTSCorrelation
import Synchronization

// The engine's performance targets (issue 4), each printed as a `FIGURE` line and recorded as a
// custom metric in the benchmark table. Run from Benchmarks/:
//   swift package benchmark --target CorrelationBenchmarks
//
// The workloads are large (up to 1 000 000 requests) and each computes its figure from its own
// timing. The memory and timeout benchmarks run once. The throughput benchmarks run one warm-up
// and five measured iterations, each on a fresh engine, and print the median: the first run in a
// process pays for growing the allocator's arenas, which a long-running daemon pays once.

/// A pre-validated ticket placement of realistic size (~450 bytes).
func ticketBody(_ correlationId: String, timestamp: Int64) -> [UInt8] {
    let json = """
        {"content":{"type":"ticket","ticketId":"Tkt-\(correlationId.suffix(12))","bets":[{"betId":"B1",\
        "selections":[{"productId":"3","eventId":"sr:match:48329731","marketId":"1","outcomeId":"2",\
        "odds":"1.85"}],"stake":[{"currency":"EUR","amount":"10.00"}]}],"context":{"channel":"internet",\
        "limitId":4268,"customer":"customer-4711"}},"correlationId":"\(correlationId)",\
        "timestampUtc":\(timestamp),"operation":"ticket-placement","version":"3.0","operatorId":9985}
        """
    return Array(json.utf8)
}

func request(_ index: Int, timestamp: Int64) -> CorrelationRequest {
    let id = correlationId(index)
    return CorrelationRequest(
        correlationId: id, operation: "ticket-placement", contentType: "ticket", timestampUtc: timestamp,
        ticketId: "Tkt-\(id.suffix(12))", body: ticketBody(id, timestamp: timestamp))
}

/// UUID-shaped (36 bytes), as a client SDK generates them.
func correlationId(_ index: Int) -> String {
    let hex = String(index, radix: 16)
    let padded = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    return "6f1c2a9e-4b7d-4c3a-9e21-\(padded)"
}

func reply(_ index: Int, timestamp: Int64, token: UInt64) -> CorrelationReply {
    let id = correlationId(index)
    let body = Array(
        """
        {"content":{"type":"ticket-reply","status":"accepted","signature":"c2lnbmF0dXJl","ticketId":"Tkt-\(id.suffix(12))",\
        "code":0,"message":"Ticket accepted"},"correlationId":"\(id)","timestampUtc":\(timestamp),\
        "operation":"ticket-placement","version":"3.0"}
        """.utf8)
    return CorrelationReply(
        correlationId: id, operation: "ticket-placement", contentType: "ticket-reply",
        timestampUtc: timestamp,
        body: body, token: token)
}

func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Runs `work` off the main actor, as the daemon's pipelines run: a benchmark closure may run
/// on the main actor, whose executor (the main dispatch queue on Linux) makes every actor hop
/// far slower than the global executor does.
func offMain<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> T {
    await Task.detached(operation: work).value
}

func figure(_ text: String) {
    print("FIGURE \(text)")
    fflush(nil)  // flushes every stream; `stdout` is a C global Swift 6 refuses to touch
}

/// A matched ticket's record as the daemon logs it: about 1 KB of JSON (the request and the
/// reply spliced in).
let recordJSON = Array(
    ("{\"outcome\":\"matched\",\"request\":{" + String(repeating: "x", count: 950) + "}}").utf8)

/// Drains results in batches until `count` arrived. With the store on, as the daemon's result
/// loop does: each batch's records are appended to the log of results with the results'
/// confirms, and the next batch is taken while that commits (the acknowledger waits for it).
func consume(_ engine: CorrelationEngine, count: Int, confirm: Bool) async -> Int {
    var received = 0
    while received < count, let batch = await engine.results.next(max: 256) {
        received += batch.count
        guard confirm else { continue }
        let drafts = batch.map {
            ResultLogDraft(
                outcome: "matched", operation: "ticket", correlationId: $0.correlationId, json: recordJSON)
        }
        try? await engine.appendToLog(drafts, confirming: batch.map(\.id))
    }
    if confirm { try? await engine.log.waitDurable() }
    return received
}

/// Registers and matches `pairs` requests in batches of `batchSize` (as the daemon hands the
/// engine each batch of intake and reply deliveries), while a consumer drains and confirms the
/// results.
func registerAndMatch(
    _ engine: CorrelationEngine, pairs: Int, batchSize: Int, confirm: Bool
) async -> Duration {
    let base: Int64 = 1_767_225_600_000
    // The batches are built before the clock starts: in the daemon that is decoding's work.
    let chunks = stride(from: 0, to: pairs, by: batchSize).map { $0..<min($0 + batchSize, pairs) }
    let requests = chunks.map { chunk in chunk.map { request($0, timestamp: base) } }
    let replies = chunks.map { chunk in
        chunk.map { IncomingReply.wellFormed(reply($0, timestamp: base + 5, token: UInt64($0))) }
    }
    let clock = ContinuousClock()
    let started = clock.now
    async let consumed = consume(engine, count: pairs, confirm: confirm)
    for index in chunks.indices {
        _ = try! await engine.register(contentsOf: requests[index])
        await engine.receive(contentsOf: replies[index])
    }
    let received = await consumed
    precondition(received == pairs, "lost results")
    return clock.now - started
}

/// Registers and matches `pairs` requests a batch of 256 at a time, building each as it goes
/// and taking its results before the next (appending their records to the log, store on): what
/// stays resident is the table, not a backlog of batches or results.
func streamPairs(_ engine: CorrelationEngine, pairs: Int, confirm: Bool) async {
    let base: Int64 = 1_767_225_600_000
    for start in stride(from: 0, to: pairs, by: 256) {
        let chunk = start..<min(start + 256, pairs)
        _ = try! await engine.register(contentsOf: chunk.map { request($0, timestamp: base) })
        await engine.receive(
            contentsOf: chunk.map {
                IncomingReply.wellFormed(reply($0, timestamp: base + 5, token: UInt64($0)))
            })
        let received = await consume(engine, count: chunk.count, confirm: confirm)
        precondition(received == chunk.count, "lost results")
    }
}

/// Resident bytes after giving the allocator's free memory back to the system: what the live
/// objects hold, without what earlier work left cached in malloc's arenas.
func trimmedResidentBytes() -> Int {
    // glibc's malloc_trim: not in Swift's Glibc module (malloc.h), so found at run time.
    typealias MallocTrim = @convention(c) (Int) -> Int32
    if let symbol = dlsym(nil, "malloc_trim") { _ = unsafeBitCast(symbol, to: MallocTrim.self)(0) }
    return residentBytes()
}

/// The store the restart benchmarks share: filled by the first, reopened by the second.
let restartStorePath = NSTemporaryDirectory() + "/mts-relay-bench-restart.sqlite"
let restartPairs = 300_000
let restartClockStart: Int64 = 1_767_225_600_000

func removeRestartStore() {
    for suffix in ["", "-wal", "-shm"] {
        try? FileManager.default.removeItem(atPath: restartStorePath + suffix)
    }
}

/// The measured iterations' rates per benchmark, for the median line.
let rates = Mutex<[String: [Int]]>([:])

/// Records one iteration's rate; after the last one, prints the median.
func recordRate(_ name: String, _ rate: Int, iterations: Int, describe: (Int) -> String) {
    let all = rates.withLock { rates -> [Int] in
        rates[name, default: []].append(rate)
        return rates[name]!
    }
    // The first iteration is the warm-up.
    guard all.count == iterations + 1 else { return }
    let measured = all.dropFirst().sorted()
    let median = measured[measured.count / 2]
    figure(
        "\(describe(median)) (median of \(measured.count) runs after a warm-up; min \(measured.first!), "
            + "max \(measured.last!), warm-up \(all[0]))")
}

/// Registers and matches 200 000 pairs on an engine with a durable store, appending every
/// result's record (~1 KB) to the log of results with its confirm, and records the rate with
/// the store's batch figures (rows: the table's changes and the log's entries).
func durableRun(
    _ benchmark: Benchmark, store: StoreLocation, name: String, what: String, iterations: Int
) async {
    let pairs = 200_000
    let engine = try! await CorrelationEngine(
        clock: ManualCorrelationClock(now: 1_767_225_600_000), store: store)
    let elapsed = await offMain {
        await registerAndMatch(engine, pairs: pairs, batchSize: 256, confirm: true)
    }
    let rate = Int(Double(pairs) / seconds(elapsed))
    benchmark.measurement(pairsPerSecond, rate)
    let statistics = await engine.storeStatistics!
    let meanBatch = statistics.effects / max(statistics.transactions, 1)
    let meanMilliseconds = Double(statistics.totalNanoseconds) / Double(max(statistics.transactions, 1)) / 1e6
    let batches =
        "\(statistics.transactions) transactions, mean \(meanBatch) rows and "
        + "\(String(format: "%.2f", meanMilliseconds)) ms each, longest "
        + "\(String(format: "%.2f", Double(statistics.longestTransactionNanoseconds) / 1e6)) ms "
        + "(\(statistics.largestTransaction) rows), \(statistics.foldedEffects) effects folded into another"
    recordRate(name, rate, iterations: iterations) {
        "register+match+log with \(what): \($0) pairs/s (\(pairs) pairs per run; last run: \(batches))"
    }
    await engine.shutdown()
}

let pairsPerSecond = BenchmarkMetric.custom("pairs/s", polarity: .prefersLarger, useScalingFactor: false)
let bytesPerRequest = BenchmarkMetric.custom("bytes above raw per request", useScalingFactor: false)
let bytesPerPair = BenchmarkMetric.custom("resident bytes per retained pair", useScalingFactor: false)
let timeoutMilliseconds = BenchmarkMetric.custom("ms to emit 1M timeouts", useScalingFactor: false)
let loadMilliseconds = BenchmarkMetric.custom("ms to load the table", useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    let once = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], warmupIterations: 0, maxDuration: .seconds(300),
        maxIterations: 1)
    let steadyIterations = 5
    let steady = Benchmark.Configuration(
        metrics: [.wallClock, .peakMemoryResident], warmupIterations: 1, maxDuration: .seconds(300),
        maxIterations: steadyIterations)

    Benchmark("Register+match, in memory (500k pairs)", configuration: steady) { benchmark in
        let pairs = 500_000
        let engine = try! CorrelationEngine(clock: ManualCorrelationClock(now: 1_767_225_600_000))
        let elapsed = await offMain {
            await registerAndMatch(engine, pairs: pairs, batchSize: 256, confirm: false)
        }
        let rate = Int(Double(pairs) / seconds(elapsed))
        benchmark.measurement(pairsPerSecond, rate)
        recordRate("memory", rate, iterations: steadyIterations) {
            "register+match in memory, store off, batches of 256: \($0) pairs/s (\(pairs) pairs per run)"
        }
        await engine.shutdown()
    }

    Benchmark("Register+match, durable store (200k pairs)", configuration: steady) { benchmark in
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        await durableRun(
            benchmark, store: .sqlite(path: "\(directory)/relay.sqlite"), name: "durable",
            what: "the durable store (WAL, synchronous=FULL, batches of 256)", iterations: steadyIterations)
    }

    // PostgreSQL (benchPostgresURL), a fresh group per run, deleted afterwards.
    Benchmark("Register+match, PostgreSQL store (200k pairs)", configuration: steady) { benchmark in
        let url = benchPostgresURL
        let group = "bench-\(UUID())"
        await durableRun(
            benchmark, store: .postgres(url: url, group: group), name: "postgres",
            what: "the PostgreSQL store (local server, synchronous_commit on, batches of 256)",
            iterations: steadyIterations)
        await deleteGroup(group, url: url)
    }

    // The take-over's table load: a group's rows read back from PostgreSQL (and, for comparison,
    // a restart's from SQLite), 200 000 tombstones and 10 000 outstanding requests.
    Benchmark("Table load, PostgreSQL store (210k rows)", configuration: once) { benchmark in
        let url = benchPostgresURL
        let group = "bench-\(UUID())"
        await recoveryRun(
            benchmark, store: .postgres(url: url, group: group), name: "PostgreSQL", tombstones: 200_000,
            outstanding: 10_000)
        await deleteGroup(group, url: url)
    }

    Benchmark("Table load, durable store (210k rows)", configuration: once) { benchmark in
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        await recoveryRun(
            benchmark, store: .sqlite(path: "\(directory)/relay.sqlite"), name: "SQLite", tombstones: 200_000,
            outstanding: 10_000)
    }

    Benchmark("Memory, 1M outstanding ticket placements", configuration: once) { benchmark in
        let count = 1_000_000
        let base: Int64 = 1_767_225_600_000
        let engine = try! CorrelationEngine(clock: ManualCorrelationClock(now: base))
        let rawBytes = (0..<count).reduce(0) { $0 + request($1, timestamp: base).body.count }
        // Resident memory (RSS) is the conservative measure: it includes the allocator's
        // fragmentation and the growth slack of the table's arrays and dictionary.
        let residentBefore = residentBytes()
        await offMain {
            for start in stride(from: 0, to: count, by: 256) {
                let batch = (start..<min(start + 256, count)).map { request($0, timestamp: base) }
                _ = try! await engine.register(contentsOf: batch)
            }
        }
        let residentAfter = residentBytes()
        let outstanding = await engine.outstandingCount
        precondition(outstanding == count)
        let residentPerRequest = (residentAfter - residentBefore) / count
        let rawPerRequest = rawBytes / count
        benchmark.measurement(bytesPerRequest, residentPerRequest - rawPerRequest)
        figure(
            "memory for \(count) outstanding ticket placements (\(rawPerRequest)-byte bodies, 36-byte ids): "
                + "\(residentPerRequest) bytes/request resident, \(residentPerRequest - rawPerRequest) above the raw bytes"
        )
        await engine.shutdown()
    }

    // Tombstones in retention (an hour by default; the clock does not move, so none is purged).
    Benchmark("Memory, 1M retained pairs", configuration: once) { benchmark in
        let pairs = 1_000_000
        let engine = try! CorrelationEngine(clock: ManualCorrelationClock(now: 1_767_225_600_000))
        let before = trimmedResidentBytes()
        await offMain { await streamPairs(engine, pairs: pairs, confirm: false) }
        let after = residentBytes()
        let trimmed = trimmedResidentBytes()
        let engineTombstones = await engine.tombstoneCount
        precondition(engineTombstones == pairs)
        benchmark.measurement(bytesPerPair, (after - before) / pairs)
        figure(
            "memory for \(pairs) retained pairs (36-byte ids): \((after - before) / pairs) bytes/pair resident, "
                + "\((trimmed - before) / pairs) after malloc_trim")
        await engine.shutdown()
    }

    // A restart reloads the retained table from the store. The benchmark tool runs each
    // benchmark in a process of its own, so the restart is measured in a fresh process, as a
    // relay restarts: the first fills a store and measures the live table, the second opens it.
    Benchmark("Memory, restart 1: 300k retained pairs live (SQLite)", configuration: once) { benchmark in
        removeRestartStore()
        let baseline = trimmedResidentBytes()
        let live = try! await CorrelationEngine(
            clock: ManualCorrelationClock(now: restartClockStart), store: .sqlite(path: restartStorePath))
        await offMain { await streamPairs(live, pairs: restartPairs, confirm: true) }
        let steady = trimmedResidentBytes() - baseline
        let liveTombstones = await live.tombstoneCount
        precondition(liveTombstones == restartPairs)
        benchmark.measurement(bytesPerPair, steady / restartPairs)
        figure(
            "memory for \(restartPairs) retained pairs with the SQLite store, live: \(steady / restartPairs) "
                + "bytes/pair (\(steady >> 20) MiB, the log's 4 MiB in-memory tail included)")
        await live.shutdown()
    }

    Benchmark("Memory, restart 2: the same pairs after a restart (SQLite)", configuration: once) {
        benchmark in
        defer { removeRestartStore() }
        let baseline = trimmedResidentBytes()
        let restarted = try! await CorrelationEngine(
            clock: ManualCorrelationClock(now: restartClockStart), store: .sqlite(path: restartStorePath))
        let loaded = residentBytes() - baseline
        let settled = trimmedResidentBytes() - baseline
        let restartedTombstones = await restarted.tombstoneCount
        precondition(restartedTombstones == restartPairs, "run the live benchmark first (it fills the store)")
        benchmark.measurement(bytesPerPair, settled / restartPairs)
        figure(
            "memory for \(restartPairs) retained pairs with the SQLite store, after a restart: "
                + "\(loaded / restartPairs) bytes/pair as loaded (\(loaded >> 20) MiB), \(settled / restartPairs) "
                + "after malloc_trim (\(settled >> 20) MiB)")
        await restarted.shutdown()
    }

    Benchmark("1M timeouts in the same second", configuration: once) { benchmark in
        let count = 1_000_000
        let base: Int64 = 1_767_225_600_000
        let clock = ManualCorrelationClock(now: base)
        let engine = try! CorrelationEngine(clock: clock)
        // Timestamps spread over one second: the deadlines (17 s later) fall in the same second.
        await offMain {
            for start in stride(from: 0, to: count, by: 256) {
                let batch = (start..<min(start + 256, count)).map {
                    request($0, timestamp: base + Int64($0 % 1_000))
                }
                _ = try! await engine.register(contentsOf: batch)
            }
        }
        let (firstLate, lastLate) = await offMain { () -> (Duration, Duration) in
            let wall = ContinuousClock()
            var firstLate: Duration = .zero
            var lastLate: Duration = .zero
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await engine.run() }
                await clock.waitForSleepers()
                // The whole second passes at once and the reply queue reports it (event time):
                // every deadline is due now. That call fires the first buffer-full; the run loop
                // fires the rest as the consumer makes room.
                clock.advance(to: base + 17_000 + 1_000)
                let started = wall.now
                group.addTask {
                    _ = await engine.advanceWatermark(.replies, queue: "replies", to: base + 18_000)
                }
                var received = 0
                while received < count, let batch = await engine.results.next(max: 1_024) {
                    precondition(batch.allSatisfy { $0.outcome == .timeout })
                    if received == 0 { firstLate = wall.now - started }
                    received += batch.count
                }
                lastLate = wall.now - started
                group.cancelAll()
            }
            return (firstLate, lastLate)
        }
        benchmark.measurement(timeoutMilliseconds, Int(seconds(lastLate) * 1000))
        figure(
            "\(count) timeouts due in the same second: first emitted after \(firstLate), all emitted after "
                + "\(lastLate) (run loop, \(engine.configuration.timerBatchLimit) per actor turn, "
                + "\(engine.configuration.resultCapacity) results buffered at most)")
        await engine.shutdown()
    }
}

/// Fills `store` with `tombstones` matched and confirmed pairs and `outstanding` open requests
/// (what a relay leaves after `tombstones` pairs within `retentionSeconds`), then opens it again
/// three times and prints the median open time: the table load that follows winning the lease
/// at a take-over (PostgreSQL), or a restart (SQLite).
func recoveryRun(
    _ benchmark: Benchmark, store: StoreLocation, name: String, tombstones: Int, outstanding: Int
) async {
    let base: Int64 = 1_767_225_600_000
    let filling = try! await CorrelationEngine(clock: ManualCorrelationClock(now: base), store: store)
    _ = await offMain {
        await registerAndMatch(filling, pairs: tombstones, batchSize: 256, confirm: true)
    }
    await offMain {
        for start in stride(from: tombstones, to: tombstones + outstanding, by: 256) {
            let batch = (start..<min(start + 256, tombstones + outstanding)).map {
                request($0, timestamp: base)
            }
            _ = try! await filling.register(contentsOf: batch)
        }
    }
    await filling.shutdown()
    var times: [Duration] = []
    for _ in 0..<3 {
        let clock = ContinuousClock()
        let started = clock.now
        let engine = try! await CorrelationEngine(clock: ManualCorrelationClock(now: base), store: store)
        times.append(clock.now - started)
        let (loadedOutstanding, loadedTombstones) = (
            await engine.outstandingCount, await engine.tombstoneCount
        )
        precondition(
            loadedOutstanding == outstanding && loadedTombstones == tombstones, "the table did not load whole"
        )
        await engine.shutdown()
    }
    let median = times.sorted()[1]
    let rows = tombstones + outstanding
    benchmark.measurement(loadMilliseconds, Int(seconds(median) * 1000))
    figure(
        "loading the table from \(name): \(rows) rows (\(tombstones) confirmed tombstones, \(outstanding) outstanding "
            + "with ~450-byte bodies) in \(Int(seconds(median) * 1000)) ms, \(Int(Double(rows) / seconds(median))) rows/s "
            + "(median of 3 opens; all: \(times.map { "\(Int(seconds($0) * 1000)) ms" }.joined(separator: ", ")))"
    )
}

/// The benchmarks' PostgreSQL: `MTS_RELAY_BENCH_POSTGRES_URL`, by default the one
/// scripts/start-postgresql.sh sets up. Each run works in a group of its own, deleted afterwards.
var benchPostgresURL: String {
    ProcessInfo.processInfo.environment["MTS_RELAY_BENCH_POSTGRES_URL"]
        ?? "postgresql://mts_relay:mts_relay@127.0.0.1:5432/mts_relay"
}

/// A new empty directory for a SQLite store; the caller removes it.
func temporaryDirectory() -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mts-bench-\(UUID())").path
    try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// Deletes a benchmark group's rows with `psql` (installed with the server), so that runs do
/// not pile up in the database. The tables are `PostgresSchema.groupTables`, which another
/// package cannot see: keep the two lists alike.
func deleteGroup(_ group: String, url: String) async {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    let statements = [
        "mts_relay_request", "mts_relay_lease", "mts_relay_result_log", "mts_relay_sink_cursor",
    ]
    .map { "DELETE FROM \($0) WHERE group_name = '\(group)';" }
    process.arguments = ["psql", url, "-qc", statements.joined(separator: " ")]
    do {
        try process.run()
        process.waitUntilExit()
    } catch {
        print("could not delete the benchmark's rows (group \(group)): \(error)")
    }
}
