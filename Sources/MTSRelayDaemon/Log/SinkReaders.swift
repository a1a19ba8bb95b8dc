import Logging
import MTSCorrelation
import ServiceLifecycle

/// A term's readers of one log of results, one per sink, and their housekeeping: once a second
/// it looks for replays written into the store (`mts-relay replay`), hands them to their
/// readers and reports each sink's backlog; every ten seconds it purges the entries every
/// sink has passed that are older than the replay window.
struct SinkReaders: Service {
    let log: ResultLog
    /// The log's name in records' keys.
    let logName: String
    let readers: [SinkReader]
    let backlog: SinkBacklog
    let replayWindowSeconds: Int
    let metrics: RelayMetrics
    let logger: Logger

    /// Readers for every route, each from its cursor as the store had it at open. A sink the
    /// log has no cursor for starts at the log's end: a sink added to the configuration gets
    /// what is decided from then on (`mts-relay replay` sends it older records).
    init(
        log: ResultLog, logName: String, routes: [SinkRoute], backlog: SinkBacklog, replayWindowSeconds: Int,
        metrics: RelayMetrics, mayEmit: @escaping @Sendable () -> Bool, logger: Logger
    ) {
        self.log = log
        self.logName = logName
        self.backlog = backlog
        self.replayWindowSeconds = replayWindowSeconds
        self.metrics = metrics
        self.logger = logger
        let known = Dictionary(
            log.recovered.cursors.map { ($0.sink, $0) }, uniquingKeysWith: { first, _ in first })
        readers = routes.map { route in
            let cursor =
                known[route.sink.name] ?? SinkCursor(sink: route.sink.name, seq: log.recovered.lastSeq)
            if known[route.sink.name] == nil { log.move(cursor) }
            return SinkReader(
                route: route, log: log, logName: logName, cursor: cursor, backlog: backlog, metrics: metrics,
                mayEmit: mayEmit, logger: logger)
        }
    }

    /// How often replays are looked for and the backlog reported.
    static let tick: Duration = .seconds(1)
    /// Purges happen every this many ticks.
    static let ticksPerPurge = 10

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for reader in readers {
                group.addTask { await reader.run() }
            }
            group.addTask { await housekeeping() }
            // Until the term ends or the relay shuts down. On a graceful shutdown (the loops
            // that append have stopped by then) the sinks get what is committed, for a while;
            // what is left is read by the next term or after the restart.
            try? await gracefulShutdown()
            if !Task.isCancelled { await drainToTheEnd() }
            group.cancelAll()
        }
    }

    /// How long a graceful shutdown waits for the sinks to have what is committed (a failing
    /// sink would hold it up for good; its records wait in the log).
    static let shutdownDrainBound: Duration = .seconds(3)

    /// Returns once every reader has the log's last entry, or after ``shutdownDrainBound``.
    private func drainToTheEnd() async {
        let last = log.lastSeq
        let deadline = ContinuousClock.now + Self.shutdownDrainBound
        while readers.contains(where: { $0.progress.cursor.seq < last }), ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
    }

    private func housekeeping() async {
        var ticks = 0
        while !Task.isCancelled {
            do { try await Task.sleep(for: Self.tick) } catch { return }
            ticks += 1
            await pickUpReplays()
            report()
            if ticks % Self.ticksPerPurge == 0 { purge() }
        }
    }

    /// Hands replays written into the store since the last look to their readers, and wakes
    /// every reader so that one waiting for new entries takes its replay at once.
    private func pickUpReplays() async {
        guard let state = try? await log.state() else { return }
        let byName = Dictionary(state.cursors.map { ($0.sink, $0) }, uniquingKeysWith: { first, _ in first })
        for reader in readers {
            guard let cursor = byName[reader.name], cursor.generation > reader.progress.cursor.generation
            else {
                continue
            }
            logger.notice(
                "Replaying a sink's records",
                metadata: [
                    "sink": "\(reader.name)", "log": "\(logName)", "fromSeq": "\(cursor.seq + 1)",
                    "throughSeq": "\(cursor.replayUntil)",
                ])
            reader.adopt(cursor)
        }
        log.wakeAll()
    }

    private func report() {
        let now = Timestamp.nowMilliseconds()
        let last = log.lastSeq
        for reader in readers {
            let (cursor, oldest) = reader.progress
            metrics.setSinkProgress(
                log: logName, sink: reader.name, backlog: max(last - cursor.seq, 0),
                oldestUndeliveredAgeMs: oldest.map { max(now - $0, 0) } ?? 0)
        }
    }

    /// Purges what every sink has passed (a sink that is not required counts as no further
    /// behind than its `maxBacklog`) and what is older than the replay window.
    private func purge() {
        let last = log.lastSeq
        let through =
            readers.map { reader in
                let seq = reader.progress.cursor.seq
                return reader.route.required ? seq : max(seq, last - Int64(reader.route.maxBacklog))
            }.min() ?? last
        log.purge(
            throughSeq: through, before: Timestamp.nowMilliseconds() - Int64(replayWindowSeconds) * 1000)
    }
}
