import AMQPClient
import AsyncHTTPClient
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
///
/// With a PostgreSQL store (`store.url`) the relay is a member of its group (`ha.group`): the
/// consumers, result loops and engines run only while it holds the group's lease
/// (``LeadershipService``); a standby consumes nothing.
public struct RelayDaemon: Sendable {
    public let configuration: RelayConfiguration
    public let logger: Logger
    /// More fields of the start line (`mts-relay starting`): the executable's version and commit.
    public var startMetadata: Logger.Metadata = [:]

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
        let replyConnection = try connectionConfiguration(
            url: configuration.broker.url, name: "\(configuration.broker.connectionName) replies")
        let intakeConnection = try connectionConfiguration(
            url: configuration.intake.url ?? configuration.broker.url,
            name: "\(configuration.broker.connectionName) intake")
        // A PostgreSQL store makes this relay a member of its group (ha.group): it acts only
        // while it holds the group's lease. With SQLite it is the only one, always active.
        let isMember = configuration.store.url != nil
        let gate: EmissionGate = isMember ? .closed() : .alwaysOpen()
        let role = RelayRole(isMember ? .standby : .active)

        let (metrics, prometheus) = bootstrapMetrics(role: role)
        let (routes, fileSinks) = try makeRoutes(metrics: metrics)
        metrics.preset(
            queues: [configuration.intake.queue] + configuration.replies.queues
                + (configuration.jackpot.map { [$0.queue] } ?? []),
            sinks: routes.map(\.sink.name))
        let logger = logger
        let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment, logger: logger)
        let watchdog = ConsumeLoopWatchdog(
            notifier: notifier, parts: ConsumeLoop.configured(jackpot: configuration.jackpot != nil))
        let sinkNames = routes.map(\.sink.name)
        let (jackpot, jackpotClient) = try makeJackpotParts(metrics: metrics)
        let deciding = DecidingServices(
            configuration: configuration, replyConnection: replyConnection,
            intakeConnection: intakeConnection,
            jackpot: jackpot, routes: routes, gate: gate, metrics: metrics, watchdog: watchdog,
            attempts: DeliveryAttempts(limit: configuration.deadLetter.maxAttempts), notifier: notifier,
            logger: logger)
        var reporter = MetricsReporter(
            metrics: metrics, role: role, interval: .seconds(configuration.metrics.intervalSeconds),
            logger: logger)
        reporter.upstreams = jackpot.map { [$0.metrics] } ?? []
        reporter.onLine = { line in
            notifier?.status(
                SystemdNotifier.statusLine(
                    role: isMember ? (line.role.rawValue, line.epoch) : nil,
                    pending: line.pending, matchedPerSecond: line.matchedPerSecond,
                    watermarkLags: line.lagsBySource,
                    upstreams: line.upstreams.map {
                        ($0.name, $0.counters.sent, $0.counters.outcomeUnknown)
                    },
                    sinks: sinkNames.map { ($0, !line.counters.failingSinks.contains($0)) },
                    sinkBacklogs: line.counters.sinkBacklog.mapValues(\.records),
                    commitsPerSecond: line.commitsPerSecond))
        }

        // Shutdown runs in reverse: the deciding services first (consumers, then result
        // loops, then engines), then the sinks, the metrics, and the signals last.
        // First, so the last to stop: a second stop signal exits at once until the very end.
        var services: [any Service] = [SignalService(fileSinks: fileSinks, logger: logger)]
        services.append(reporter)
        if let prometheus { services.append(prometheus) }
        services.append(SinksService(routes: routes))
        // The process's, not a term's: it stops after every term.
        if let jackpotClient { services.append(HTTPClientService(client: jackpotClient)) }
        if let url = configuration.store.url {
            services.append(
                LeadershipService(
                    lease: LeaseClient(
                        url: url, group: configuration.ha.group, node: configuration.ha.node, logger: logger),
                    fence: StoreFence(
                        leaseGroup: configuration.ha.group, leaseMs: Int64(configuration.ha.leaseMs)),
                    gate: gate, role: role,
                    deciding: deciding, watchdog: watchdog, notifier: notifier, logger: logger))
        } else {
            services += try await deciding.makeTerm(fence: nil, role: role)
        }
        // Last, so the first to hear of a shutdown.
        services.append(ShutdownAnnouncer(notifier: notifier, logger: logger))
        var group = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(configuration.shutdown.timeoutSeconds)
        group.maximumCancellationDuration = .seconds(1)

        var metadata: Logger.Metadata = [
            "broker": "\(replyConnection)", "intake": "\(configuration.intake.queue)",
            "replies": "\(configuration.replies.queues.joined(separator: ","))",
            "store": "\(configuration.storeLocation)",
            "sinks": "\(routes.map(\.sink.name).joined(separator: ","))",
        ]
        if isMember {
            metadata["group"] = "\(configuration.ha.group)"
            metadata["node"] = "\(configuration.ha.node)"
            metadata["leaseMs"] = "\(configuration.ha.leaseMs)"
        }
        logger.info("mts-relay starting", metadata: startMetadata.merging(metadata) { _, own in own })
        try await ServiceGroup(configuration: group).run()
        logger.info("mts-relay stopped")
    }

    /// The jackpot side's process-wide parts, when the `jackpot` section is configured: the
    /// upstream with its HTTP client (returned too, for ``HTTPClientService``), its broker
    /// connection's settings, its metrics. Its engine, consumer, sender and result loop belong
    /// to a term (``DecidingServices``).
    private func makeJackpotParts(
        metrics: RelayMetrics
    ) throws -> (DecidingServices.JackpotParts?, HTTPClient?) {
        guard let jackpot = configuration.jackpot else { return (nil, nil) }
        guard let secret = jackpot.secret else {
            throw JackpotConfigurationError(
                description:
                    "\(ConfigurationLoader.jackpotSecretVariable): missing (the jackpot section needs it)")
        }
        let connection = try connectionConfiguration(
            url: configuration.broker.url, name: "\(configuration.broker.connectionName) jackpot")
        let client = try JackpotUpstream.makeClient(configuration: jackpot)
        let upstream = JackpotUpstream(configuration: jackpot, secret: secret, client: client)
        let parts = DecidingServices.JackpotParts(
            upstream: upstream, connection: connection,
            metrics: UpstreamMetrics(name: upstream.name, metrics: metrics))
        return (parts, client)
    }

    /// Bootstraps swift-metrics, once per process: the log line's backend, multiplexed with a
    /// Prometheus registry when `metrics.prometheus.listen` is set (then the endpoint that serves
    /// it at `http://<listen>/metrics` is returned, a service).
    private func bootstrapMetrics(role: RelayRole) -> (RelayMetrics, PrometheusEndpoint?) {
        let logLine = LogLineMetrics()
        guard let listen = configuration.metrics.prometheusListen else {
            MetricsSystem.bootstrap(logLine)
            return (RelayMetrics(logLine: logLine), nil)
        }
        let registry = PrometheusCollectorRegistry()
        let factory = MultiplexMetricsHandler(factories: [
            logLine, DocumentedPrometheusFactory(registry: registry),
        ])
        MetricsSystem.bootstrap(factory)
        return (
            RelayMetrics(logLine: logLine, factory: factory),
            PrometheusEndpoint(listen: listen, registry: registry, role: role, logger: logger)
        )
    }

    private func connectionConfiguration(url: String, name: String) throws -> AMQPConnectionConfiguration {
        try configuration.brokerConnection(url: url, name: name)
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
            route.required = sink.required
            route.maxBacklog = sink.maxBacklog
            let name = sink.name
            route.onRetry = { _ in metrics.recordRetry(sink: name) }
            routes.append(route)
        }
        return (routes, files)
    }
}
