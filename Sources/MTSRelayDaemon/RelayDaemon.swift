import AMQPClient
import Dispatch
import Foundation
import Glibc
import Logging
import MTSCorrelation
import Metrics
import Prometheus
import ServiceLifecycle

/// `mts-relay run`: builds the daemon's parts from its configuration and runs them as
/// services of one `ServiceGroup` until SIGTERM or SIGINT.
///
/// Shutdown runs in reverse order of the services: the intake stops consuming, then the
/// replies stop consuming and wait for the results under way to be acknowledged, then the
/// result loop stops, then the engine commits its store. A second signal exits at once.
public struct RelayDaemon: Sendable {
    public let configuration: RelayConfiguration
    public let logger: Logger

    public init(configuration: RelayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until a shutdown signal; throws what made it impossible to start or go on.
    ///
    /// Sets the process umask to 077 first: every file the daemon creates (result files,
    /// dead-letter files, the SQLite store with its WAL and shared-memory files) holds ticket
    /// data and is readable by its owner only, whether or not systemd's `UMask=` is in force.
    public func run() async throws {
        umask(0o077)
        let brokerConnection = try connectionConfiguration(
            url: configuration.broker.url, name: "\(configuration.broker.connectionName) replies")
        let intakeConnection = try connectionConfiguration(
            url: configuration.intake.url ?? configuration.broker.url,
            name: "\(configuration.broker.connectionName) intake")

        // SQLite at store.path, or PostgreSQL at store.url (group ha.group), opened off the pool.
        let engine = try await CorrelationEngine(
            configuration: engineConfiguration, store: configuration.storeLocation)
        let (metrics, prometheus) = bootstrapMetrics()
        let (routes, fileSinks) = try makeRoutes(metrics: metrics)
        metrics.preset(
            queues: [configuration.intake.queue] + configuration.replies.queues
                + (configuration.jackpot.map { [$0.queue] } ?? []),
            sinks: routes.map(\.sink.name))
        let dispatcher = ResultDispatcher(
            routes: routes, logger: logger, metrics: metrics, node: configuration.ha.node)
        let registry = DeliveryRegistry()
        let logger = logger
        let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment, logger: logger)
        let watchdog = ConsumeLoopWatchdog(notifier: notifier)
        let sinkNames = routes.map(\.sink.name)
        let readiness = Readiness {
            logger.notice("mts-relay is ready: consuming intake and replies")
            notifier?.ready(
                status: SystemdNotifier.statusLine(
                    pending: 0, matchedPerSecond: 0, sinks: sinkNames.map { ($0, true) }))
        }
        let jackpot = try await makeJackpotServices(dispatcher: dispatcher, metrics: metrics)
        var reporter = MetricsReporter(
            metrics: metrics, engine: engine, registry: registry,
            interval: .seconds(configuration.metrics.intervalSeconds), logger: logger)
        reporter.upstreams = jackpot.map { [$0.metrics] } ?? []
        reporter.onLine = { line in
            notifier?.status(
                SystemdNotifier.statusLine(
                    pending: line.pending, matchedPerSecond: line.matchedPerSecond,
                    watermarkLags: line.lagsBySource,
                    sinks: sinkNames.map { ($0, !line.counters.failingSinks.contains($0)) }))
        }

        // The jackpot side (when configured) shuts down with the MTS parts of the same kind:
        // its consumer and sender right after the intake, its result loop before the sinks,
        // its engine with the other one.
        // First, so the last to stop: a second stop signal exits at once until the very end.
        var services: [any Service] = [SignalService(fileSinks: fileSinks, logger: logger)]
        services.append(EngineService(engine: engine))
        if let jackpot { services.append(EngineService(engine: jackpot.engine)) }
        services.append(reporter)
        if let prometheus { services.append(prometheus) }
        services.append(WatermarkMonitor(engine: engine, logger: logger))
        services.append(SinksService(dispatcher: dispatcher))
        if let jackpot { services.append(jackpot.resultLoop) }
        services.append(
            ResultLoop(
                engine: engine, registry: registry, dispatcher: dispatcher, metrics: metrics, logger: logger))
        services.append(
            ConsumerSession(
                queues: ReplyQueues(configuration: configuration, engine: engine, registry: registry),
                connection: brokerConnection, engine: engine, metrics: metrics, logger: logger,
                readiness: readiness, watchdog: watchdog))
        services.append(
            ConsumerSession(
                queues: IntakeQueue(
                    configuration: configuration, engine: engine, dispatcher: dispatcher, metrics: metrics,
                    logger: logger),
                connection: intakeConnection, engine: engine, metrics: metrics, logger: logger,
                readiness: readiness, watchdog: watchdog))
        if let jackpot { services.append(jackpot.side) }
        // Last, so the first to hear of a shutdown.
        services.append(ShutdownAnnouncer(notifier: notifier, logger: logger))
        var group = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(configuration.shutdown.timeoutSeconds)
        group.maximumCancellationDuration = .seconds(1)

        logger.info(
            "mts-relay starting",
            metadata: [
                "broker": "\(brokerConnection)", "intake": "\(configuration.intake.queue)",
                "replies": "\(configuration.replies.queues.joined(separator: ","))",
                "store": "\(configuration.storeLocation)",
                "sinks": "\(routes.map(\.sink.name).joined(separator: ","))",
            ])
        try await ServiceGroup(configuration: group).run()
        logger.info("mts-relay stopped")
    }

    /// The jackpot side's parts, when the `jackpot` section is configured: its own engine and
    /// store (``RelayConfiguration/jackpotStoreLocation``), its consumer and sender, its result loop.
    private func makeJackpotServices(
        dispatcher: ResultDispatcher, metrics: RelayMetrics
    ) async throws -> (
        engine: CorrelationEngine, side: any Service, resultLoop: any Service, metrics: UpstreamMetrics
    )? {
        guard let jackpot = configuration.jackpot else { return nil }
        guard let secret = jackpot.secret else {
            throw JackpotConfigurationError(
                description:
                    "\(ConfigurationLoader.jackpotSecretVariable): missing (the jackpot section needs it)")
        }
        let upstream = try JackpotUpstream(configuration: jackpot, secret: secret)
        let timeout = Int64(jackpot.timeoutMs)
        // Its own engine: its reply watermark is the relay's clock, not the MTS reply queues'.
        let engine = try await CorrelationEngine(
            configuration: CorrelationConfiguration(
                timeouts: OperationTimeouts(
                    defaultTimeout: timeout, byOperation: [upstream.operation: timeout]),
                retention: Int64(configuration.retentionSeconds) * 1000,
                unmatchedGrace: Int64(configuration.replies.unmatchedGraceMs),
                replyQueues: [upstream.name], intakeQueues: [jackpot.queue],
                capacity: configuration.engine.capacity, resultCapacity: configuration.engine.resultQueue),
            store: configuration.jackpotStoreLocation)
        let connection = try connectionConfiguration(
            url: configuration.broker.url, name: "\(configuration.broker.connectionName) jackpot")
        let notes = UpstreamNotes()
        let upstreamMetrics = UpstreamMetrics(name: upstream.name, metrics: metrics)
        let side = UpstreamSide(
            upstream: upstream, engine: engine, connection: connection, configuration: configuration,
            dispatcher: dispatcher, notes: notes, metrics: metrics, upstreamMetrics: upstreamMetrics,
            logger: logger)
        let resultLoop = UpstreamResultLoop(
            upstream: upstream, engine: engine, dispatcher: dispatcher, notes: notes,
            upstreamMetrics: upstreamMetrics, logger: logger)
        return (engine, side, resultLoop, upstreamMetrics)
    }

    /// Bootstraps swift-metrics, once per process: the log line's backend, multiplexed with a
    /// Prometheus registry when `metrics.prometheus.listen` is set (then the endpoint that serves
    /// it at `http://<listen>/metrics` is returned, a service).
    private func bootstrapMetrics() -> (RelayMetrics, PrometheusEndpoint?) {
        let logLine = LogLineMetrics()
        guard let listen = configuration.metrics.prometheusListen else {
            MetricsSystem.bootstrap(logLine)
            return (RelayMetrics(logLine: logLine), nil)
        }
        let registry = PrometheusCollectorRegistry()
        let factory = MultiplexMetricsHandler(factories: [
            logLine, PrometheusMetricsFactory(registry: registry),
        ])
        MetricsSystem.bootstrap(factory)
        return (
            RelayMetrics(logLine: logLine, factory: factory),
            PrometheusEndpoint(listen: listen, registry: registry, logger: logger)
        )
    }

    private var engineConfiguration: CorrelationConfiguration {
        CorrelationConfiguration(
            timeouts: OperationTimeouts(
                defaultTimeout: Int64(configuration.timeouts.defaultMs),
                byOperation: configuration.timeouts.byOperation.mapValues(Int64.init)),
            retention: Int64(configuration.retentionSeconds) * 1000,
            unmatchedGrace: Int64(configuration.replies.unmatchedGraceMs),
            clockSkewTolerance: Int64(configuration.engine.clockSkewToleranceMs),
            replyQueues: configuration.replies.queues, intakeQueues: [configuration.intake.queue],
            capacity: configuration.engine.capacity, resultCapacity: configuration.engine.resultQueue)
    }

    private func connectionConfiguration(url: String, name: String) throws -> AMQPConnectionConfiguration {
        let tls = configuration.broker.tls
        var connection = try AMQPConnectionConfiguration(
            url: url,
            tls: .init(
                caFile: tls.caFile, certificateFile: tls.certificateFile, keyFile: tls.keyFile,
                verifyPeer: tls.verifyPeer, verifyHostname: tls.verifyHostname))
        connection.heartbeatSeconds = configuration.broker.heartbeatSeconds
        connection.connectionName = name
        return connection
    }

    private func makeRoutes(metrics: RelayMetrics) throws -> ([SinkRoute], [FileSink]) {
        var routes: [SinkRoute] = []
        var files: [FileSink] = []
        for sink in configuration.sinks {
            let instance: any ResultSink
            switch sink.kind {
            case .stdout:
                instance = StdoutSink(name: sink.name)
            case .file(let path):
                let file = try FileSink(name: sink.name, path: path)
                files.append(file)
                instance = file
            case .amqp(let amqp):
                instance = AMQPSink(
                    name: sink.name,
                    connection: try connectionConfiguration(
                        url: amqp.url ?? configuration.broker.url,
                        name: "\(configuration.broker.connectionName) sink \(sink.name)"),
                    exchange: amqp.exchange, routingKeyTemplate: amqp.routingKey, logger: logger)
            case .http(let http):
                instance = try HTTPSink(name: sink.name, configuration: http, logger: logger)
            }
            var route = SinkRoute(
                sink: instance, outcomes: sink.outcomes,
                operations: sink.operations, retry: sink.retry)
            let name = sink.name
            route.onRetry = { _ in metrics.recordRetry(sink: name) }
            routes.append(route)
        }
        return (routes, files)
    }
}
