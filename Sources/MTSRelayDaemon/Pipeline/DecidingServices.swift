import AMQPClient
import Logging
import MTSCorrelation
import ServiceLifecycle

/// The services that consume and decide: the engines, the consume loops, the jackpot sender and
/// the result loops. With SQLite they run for the whole life of the daemon; with PostgreSQL
/// they make up one *term* of an active member (``LeadershipService``): built when it wins the
/// lease, with its store writes fenced by the lease's epoch, and dropped, table and broker
/// connections with them, when it steps down.
///
/// What a term starts, it owns and ends. What outlives terms belongs to the process and is
/// only used here: the sinks, the metrics, the signals, the jackpot HTTP client
/// (``HTTPClientService``). No term can shut those down.
struct DecidingServices: Sendable {
    let configuration: RelayConfiguration
    let replyConnection: AMQPConnectionConfiguration
    let intakeConnection: AMQPConnectionConfiguration
    /// The jackpot side's process-wide parts, when the `jackpot` section is configured.
    let jackpot: JackpotParts?
    /// The configured sinks (the process's); each term reads its logs into them.
    let routes: [SinkRoute]
    /// Open while this relay may emit records (always, without a lease).
    let gate: EmissionGate
    let metrics: RelayMetrics
    let watchdog: ConsumeLoopWatchdog
    /// Deliveries per message, across terms (a message comes back in the next term).
    let attempts: DeliveryAttempts
    let notifier: SystemdNotifier?
    let logger: Logger

    /// The jackpot side's parts that outlive a term: the upstream (with the process's HTTP
    /// client), its broker connection's settings and its metrics.
    struct JackpotParts: Sendable {
        var upstream: JackpotUpstream
        var connection: AMQPConnectionConfiguration
        var metrics: UpstreamMetrics
    }

    /// Opens the engines (recovering their tables) and returns the term's services in start
    /// order: the engines first, the consumers last, so that shutdown stops consuming first.
    ///
    /// - Parameters:
    ///   - fence: the lease's fence (PostgreSQL), already stamped with the term's epoch; nil
    ///     with SQLite.
    ///   - role: told the term's engine, for the metrics.
    func makeTerm(fence: StoreFence?, role: RelayRole) async throws -> [any Service] {
        // SQLite at store.path, or PostgreSQL at store.url (group ha.group), opened off the pool.
        let opening = ContinuousClock.now
        let engine = try await CorrelationEngine(
            configuration: engineConfiguration, store: configuration.storeLocation, fence: fence)
        // Reading the table is most of a take-over after the lease: it grows with the traffic
        // times retentionSeconds (the tombstones).
        let loadMs = (ContinuousClock.now - opening).milliseconds
        let (outstanding, tombstones) = (await engine.outstandingCount, await engine.tombstoneCount)
        logger.notice(
            "Opened the store and loaded the pending table",
            metadata: ["outstanding": "\(outstanding)", "tombstones": "\(tombstones)", "ms": "\(loadMs)"])
        let registry = DeliveryRegistry()
        role.beginTerm(epoch: fence?.epoch, engine: engine, registry: registry)
        let (logger, notifier, sinkNames) = (logger, notifier, routes.map(\.sink.name))
        let readiness = Readiness(parts: ConsumeLoop.configured(jackpot: jackpot != nil)) {
            logger.notice("mts-relay is ready: consuming intake and replies")
            role.markConsuming()
            notifier?.ready(
                status: SystemdNotifier.statusLine(
                    role: role.snapshot.status, pending: 0, matchedPerSecond: 0,
                    sinks: sinkNames.map { ($0, true) }))
        }
        let exclusive = fence != nil
        let (gate, epoch) = (gate, fence?.epoch)
        let mayEmit: @Sendable () -> Bool = { gate.isOpen(for: epoch) }
        let mts = logParts(engine: engine, logName: configuration.ha.group, mayEmit: mayEmit)
        let jackpotTerm = try await makeJackpotTerm(fence: fence, readiness: readiness, mayEmit: mayEmit)

        // The jackpot side (when configured) shuts down with the MTS parts of the same kind:
        // its consumer first, then its sender, its result loop before the sinks, its engine
        // with the other one.
        var services: [any Service] = [EngineService(engine: engine)]
        if let jackpotTerm { services.append(EngineService(engine: jackpotTerm.engine)) }
        // The sinks' readers stop after the loops that append (and before the engines close
        // the stores): what was appended is read to the end of what committed.
        services.append(mts.readers)
        if let jackpotTerm { services.append(jackpotTerm.readers) }
        services.append(WatermarkMonitor(engine: engine, logger: logger))
        if let jackpotTerm { services.append(jackpotTerm.resultLoop) }
        services.append(
            ResultLoop(
                engine: engine, registry: registry, appender: mts.appender, backlog: mts.backlog,
                metrics: metrics,
                logger: logger))
        services.append(
            ConsumerSession(
                queues: ReplyQueues(configuration: configuration, engine: engine, registry: registry),
                connection: replyConnection, engine: engine, metrics: metrics, logger: logger,
                readiness: readiness, watchdog: watchdog, attempts: attempts, exclusive: exclusive))
        services.append(
            ConsumerSession(
                queues: IntakeQueue(
                    configuration: configuration, engine: engine, appender: mts.appender, metrics: metrics,
                    logger: logger),
                connection: intakeConnection, engine: engine, metrics: metrics, logger: logger,
                readiness: readiness, watchdog: watchdog, attempts: attempts, exclusive: exclusive))
        if let jackpotTerm { services.append(contentsOf: [jackpotTerm.sender, jackpotTerm.consumer]) }
        return services
    }

    /// The jackpot side's term: its own engine and store (``RelayConfiguration/jackpotStoreLocation``,
    /// fenced by the same lease), its consumer (a ``ConsumerSession`` like the others, exclusive
    /// under a lease), its sender and its result loop.
    private func makeJackpotTerm(
        fence: StoreFence?, readiness: Readiness, mayEmit: @escaping @Sendable () -> Bool
    ) async throws -> (
        engine: CorrelationEngine, consumer: any Service, sender: any Service, resultLoop: any Service,
        readers: any Service
    )? {
        guard let jackpot else { return nil }
        let upstream = jackpot.upstream
        // Its own engine: its reply watermark is the relay's clock, not the MTS reply queues'.
        let engine = try await CorrelationEngine(
            configuration: CorrelationConfiguration(
                timeouts: OperationTimeouts(
                    defaultTimeout: upstream.timeoutMs, byOperation: [upstream.operation: upstream.timeoutMs]),
                retention: Int64(configuration.retentionSeconds) * 1000,
                unmatchedGrace: Int64(configuration.replies.unmatchedGraceMs),
                replyQueues: [upstream.name], intakeQueues: [upstream.queue],
                capacity: configuration.engine.capacity, resultCapacity: configuration.engine.resultQueue),
            store: configuration.jackpotStoreLocation,
            // The same fence: it names the relay's lease group (ha.group), not this store's group.
            fence: fence)
        let log = logParts(engine: engine, logName: "\(configuration.ha.group).jackpot", mayEmit: mayEmit)
        let notes = UpstreamNotes()
        let handoff = UpstreamHandoff(upstream: upstream)
        let consumer = ConsumerSession(
            queues: UpstreamQueue(
                upstream: upstream, engine: engine, handoff: handoff, configuration: configuration,
                appender: log.appender, metrics: metrics, logger: logger),
            connection: jackpot.connection, engine: engine, metrics: metrics, logger: logger,
            readiness: readiness, watchdog: watchdog, attempts: attempts, exclusive: fence != nil)
        let sender = UpstreamSender(
            upstream: upstream, engine: engine, handoff: handoff, notes: notes,
            upstreamMetrics: jackpot.metrics, logger: logger)
        let resultLoop = UpstreamResultLoop(
            upstream: upstream, engine: engine, appender: log.appender, backlog: log.backlog, notes: notes,
            upstreamMetrics: jackpot.metrics, logger: logger)
        return (engine, consumer, sender, resultLoop, log.readers)
    }

    /// What writes an engine's log of results and what reads it into the sinks.
    private func logParts(
        engine: CorrelationEngine, logName: String, mayEmit: @escaping @Sendable () -> Bool
    ) -> (appender: ResultAppender, backlog: SinkBacklog, readers: SinkReaders) {
        let log = engine.log
        let backlog = SinkBacklog(lastSeq: { log.lastSeq })
        let appender = ResultAppender(
            engine: engine, routes: routes, metrics: metrics, logger: logger, node: configuration.ha.node)
        let readers = SinkReaders(
            log: log, logName: logName, routes: routes, backlog: backlog,
            replayWindowSeconds: configuration.store.replayWindowSeconds, metrics: metrics, mayEmit: mayEmit,
            logger: logger)
        return (appender, backlog, readers)
    }

    private var engineConfiguration: CorrelationConfiguration {
        CorrelationConfiguration(
            timeouts: configuration.timeouts,
            retention: Int64(configuration.retentionSeconds) * 1000,
            unmatchedGrace: Int64(configuration.replies.unmatchedGraceMs),
            clockSkewTolerance: Int64(configuration.engine.clockSkewToleranceMs),
            replyQueues: configuration.replies.queues, intakeQueues: [configuration.intake.queue],
            capacity: configuration.engine.capacity, resultCapacity: configuration.engine.resultQueue)
    }
}
