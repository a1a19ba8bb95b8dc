import AMQPClient
import Foundation
import MTSCorrelation
import Yams

/// Builds a `RelayConfiguration` from a parsed YAML document and the environment, starting
/// from the defaults and recording every problem in `reader` instead of stopping.
struct ConfigurationLoader {
    /// Outcome names a sink's `outcomes` filter accepts.
    static let outcomeNames = CorrelationOutcome.allCases.map(\.rawValue)
    /// Log levels `log.level` accepts (swift-log's).
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// The environment variable that overrides `broker.url`.
    static let brokerURLVariable = "MTS_RELAY_BROKER_URL"
    /// The environment variable that overrides `intake.url`.
    static let intakeURLVariable = "MTS_RELAY_INTAKE_URL"

    /// The environment variable holding the jackpot HMAC secret (never read from the file).
    static let jackpotSecretVariable = "MTS_RELAY_JACKPOT_SECRET"

    static let topLevelKeys = [
        "broker", "intake", "replies", "deadLetter", "store", "timeouts", "retentionSeconds", "engine",
        "sinks", "log", "metrics", "shutdown", "jackpot", "ha",
    ]

    let environment: [String: String]
    var reader = YAMLNodeReader()
    var configuration = RelayConfiguration()

    init(environment: [String: String]) {
        self.environment = environment
    }

    /// Reads the document (nil for an empty one), then the environment, then checks what
    /// relates values across sections.
    mutating func load(_ root: Node?) {
        if let root, let top = reader.mapping(root, at: "", allowedKeys: Self.topLevelKeys) {
            readSections(top)
        }
        applyEnvironment()
        checkQueuesAreDistinct()
    }

    // MARK: Sections

    private mutating func readSections(_ top: YAMLMapping) {
        if let node = top["broker"] { readBroker(node) }
        if let node = top["intake"] { readIntake(node) }
        if let node = top["replies"] { readReplies(node) }
        if let node = top["deadLetter"],
            let section = reader.section(node, "deadLetter", ["exchange", "queue", "maxAttempts"])
        {
            reader.read("exchange", in: section, into: &configuration.deadLetter.exchange)
            reader.read("queue", in: section, into: &configuration.deadLetter.queue)
            reader.read(
                "maxAttempts", in: section, .within(2...1000), into: &configuration.deadLetter.maxAttempts)
        }
        if let node = top["store"] { readStore(node) }
        if let node = top["ha"] { readHA(node) }
        if let node = top["timeouts"] { readTimeouts(node) }
        if let node = top["retentionSeconds"] {
            reader.read(node, at: "retentionSeconds", .atLeast(0), into: &configuration.retentionSeconds)
        }
        if let node = top["engine"],
            let section = reader.section(node, "engine", ["capacity", "clockSkewToleranceMs", "resultQueue"])
        {
            reader.read("capacity", in: section, .atLeast(1), into: &configuration.engine.capacity)
            reader.read(
                "clockSkewToleranceMs", in: section, .within(0...3_600_000),
                into: &configuration.engine.clockSkewToleranceMs)
            reader.read("resultQueue", in: section, .atLeast(1), into: &configuration.engine.resultQueue)
        }
        if let node = top["sinks"] { readSinks(node) }
        if let node = top["log"] { readLog(node) }
        if let node = top["metrics"] { readMetrics(node) }
        if let node = top["jackpot"], !YAMLNodeReader.isNull(node) { readJackpot(node) }
        if let node = top["shutdown"], let section = reader.section(node, "shutdown", ["timeoutSeconds"]) {
            reader.read(
                "timeoutSeconds", in: section, .atLeast(1), into: &configuration.shutdown.timeoutSeconds)
        }
    }

    private mutating func readBroker(_ node: Node) {
        let keys = ["url", "tls", "heartbeatSeconds", "connectionName"]
        guard let broker = reader.section(node, "broker", keys) else { return }
        if let url = broker["url"], let text = reader.string(url, at: broker.path("url")) {
            if validateAMQPURL(text, at: broker.path("url")) { configuration.broker.url = text }
        }
        if let tlsNode = broker["tls"] {
            let tlsKeys = ["caFile", "certificateFile", "keyFile", "verifyPeer", "verifyHostname"]
            if let tls = reader.section(tlsNode, broker.path("tls"), tlsKeys) {
                reader.readOptional("caFile", in: tls, into: &configuration.broker.tls.caFile)
                reader.readOptional(
                    "certificateFile", in: tls, into: &configuration.broker.tls.certificateFile)
                reader.readOptional("keyFile", in: tls, into: &configuration.broker.tls.keyFile)
                reader.read("verifyPeer", in: tls, into: &configuration.broker.tls.verifyPeer)
                reader.read("verifyHostname", in: tls, into: &configuration.broker.tls.verifyHostname)
                let hasCertificate = configuration.broker.tls.certificateFile != nil
                let hasKey = configuration.broker.tls.keyFile != nil
                if hasCertificate != hasKey {
                    reader.report(
                        tls.path(hasCertificate ? "keyFile" : "certificateFile"),
                        "certificateFile and keyFile go together: set both for a client certificate, or neither"
                    )
                }
            }
        }
        let heartbeatRule = YAMLNodeReader.IntRule.zeroOr(
            5...3600, note: "heartbeats under 5 s give false alarms on a busy broker or network")
        reader.read(
            "heartbeatSeconds", in: broker, heartbeatRule, into: &configuration.broker.heartbeatSeconds)
        reader.read("connectionName", in: broker, into: &configuration.broker.connectionName)
    }

    private mutating func readIntake(_ node: Node) {
        guard
            let intake = reader.section(
                node, "intake", ["queue", "url", "prefetch", "transitAllowanceMs", "maxMessageBytes"])
        else { return }
        reader.read("queue", in: intake, into: &configuration.intake.queue)
        if let url = intake["url"], !YAMLNodeReader.isNull(url),
            let text = reader.string(url, at: intake.path("url")),
            validateAMQPURL(text, at: intake.path("url"))
        {
            configuration.intake.url = text
        }
        reader.read("prefetch", in: intake, .within(1...65535), into: &configuration.intake.prefetch)
        reader.read(
            "transitAllowanceMs", in: intake, .within(0...60_000),
            into: &configuration.intake.transitAllowanceMs)
        reader.read("maxMessageBytes", in: intake, .atLeast(1), into: &configuration.intake.maxMessageBytes)
    }

    private mutating func readReplies(_ node: Node) {
        let keys = ["queues", "prefetch", "unmatchedGraceMs", "transitAllowanceMs", "maxMessageBytes"]
        guard let replies = reader.section(node, "replies", keys) else { return }
        if let queuesNode = replies["queues"] {
            let path = replies.path("queues")
            if YAMLNodeReader.isNull(queuesNode) {
                reader.report(path, "must list at least one reply queue")
            } else if let items = reader.sequence(queuesNode, at: path) {
                if items.isEmpty { reader.report(path, "must list at least one reply queue") }
                var queues: [String] = []
                for (index, item) in items.enumerated() {
                    guard let queue = reader.string(item, at: "\(path)[\(index)]") else { continue }
                    if let first = queues.firstIndex(of: queue) {
                        reader.report(
                            "\(path)[\(index)]", "queue '\(queue)' is already listed at \(path)[\(first)]")
                    }
                    queues.append(queue)
                }
                if !items.isEmpty { configuration.replies.queues = queues }
            }
        }
        reader.read("prefetch", in: replies, .within(1...65535), into: &configuration.replies.prefetch)
        reader.read(
            "unmatchedGraceMs", in: replies, .atLeast(0), into: &configuration.replies.unmatchedGraceMs)
        reader.read(
            "transitAllowanceMs", in: replies, .within(0...60_000),
            into: &configuration.replies.transitAllowanceMs)
        reader.read("maxMessageBytes", in: replies, .atLeast(1), into: &configuration.replies.maxMessageBytes)
    }

    private mutating func readTimeouts(_ node: Node) {
        guard let timeouts = reader.section(node, "timeouts", nil) else { return }
        for (operation, value) in timeouts.entries {
            let path = timeouts.path(operation)
            guard let milliseconds = reader.int(value, at: path, .atLeast(1)) else { continue }
            if operation == "default" {
                configuration.timeouts.defaultTimeout = Int64(milliseconds)
            } else if operation.isEmpty {
                reader.report(path, "the operation name must not be empty")
            } else {
                configuration.timeouts.byOperation[operation] = Int64(milliseconds)
            }
        }
    }

    private mutating func readLog(_ node: Node) {
        guard let log = reader.section(node, "log", ["format", "level"]) else { return }
        if let format = log["format"],
            let name = reader.choice(
                format, at: log.path("format"), of: RelayConfiguration.Log.Format.allNames, what: "log format"
            ),
            let value = RelayConfiguration.Log.Format(rawValue: name)
        {
            configuration.log.format = value
        }
        if let level = log["level"],
            let name = reader.choice(level, at: log.path("level"), of: Self.logLevels, what: "log level")
        {
            configuration.log.level = name
        }
    }

    private mutating func readMetrics(_ node: Node) {
        guard let metrics = reader.section(node, "metrics", ["intervalSeconds", "prometheus"]) else { return }
        reader.read("intervalSeconds", in: metrics, .atLeast(1), into: &configuration.metrics.intervalSeconds)
        guard let prometheusNode = metrics["prometheus"], !YAMLNodeReader.isNull(prometheusNode),
            let prometheus = reader.section(prometheusNode, metrics.path("prometheus"), ["listen"])
        else { return }
        guard let listen = prometheus["listen"] else {
            reader.report(prometheus.path("listen"), "missing required key (host:port to serve /metrics on)")
            return
        }
        if YAMLNodeReader.isNull(listen) { return }
        let path = prometheus.path("listen")
        guard let text = reader.string(listen, at: path) else { return }
        if let problem = Self.listenAddressProblem(text) {
            reader.report(path, problem)
        } else {
            configuration.metrics.prometheusListen = text
        }
    }

    // MARK: Environment and cross-checks

    private mutating func applyEnvironment() {
        applyStoreEnvironment()
        if let url = environment[Self.brokerURLVariable], !url.isEmpty,
            validateAMQPURL(url, at: Self.brokerURLVariable, overriding: "broker.url")
        {
            configuration.broker.url = url
        }
        if let url = environment[Self.intakeURLVariable], !url.isEmpty,
            validateAMQPURL(url, at: Self.intakeURLVariable, overriding: "intake.url")
        {
            configuration.intake.url = url
        }
        if configuration.jackpot != nil {
            if let secret = environment[Self.jackpotSecretVariable], !secret.isEmpty {
                configuration.jackpot?.secret = secret
            } else {
                reader.report(
                    Self.jackpotSecretVariable,
                    "missing: the jackpot section needs the Bet Engine's HMAC secret in this environment variable (it is never read from the file)"
                )
            }
        }
    }

    /// Requests, replies and dead letters each need a queue of their own.
    private mutating func checkQueuesAreDistinct() {
        let replies = configuration.replies.queues
        if let index = replies.firstIndex(of: configuration.intake.queue) {
            reader.report(
                "intake.queue",
                "'\(configuration.intake.queue)' is also replies.queues[\(index)]; requests and replies need queues of their own"
            )
        }
        let deadLetter = configuration.deadLetter.queue
        if let jackpot = configuration.jackpot?.queue {
            let others =
                [
                    ("intake.queue", configuration.intake.queue), ("deadLetter.queue", deadLetter),
                ] + replies.enumerated().map { ("replies.queues[\($0.offset)]", $0.element) }
            if let clash = others.first(where: { $0.1 == jackpot }) {
                reader.report(
                    "jackpot.queue",
                    "'\(jackpot)' is also \(clash.0); jackpot requests need a queue of their own")
            }
        }
        if deadLetter == configuration.intake.queue {
            reader.report(
                "deadLetter.queue",
                "'\(deadLetter)' is also intake.queue; dead letters need a queue of their own")
        } else if let index = replies.firstIndex(of: deadLetter) {
            reader.report(
                "deadLetter.queue",
                "'\(deadLetter)' is also replies.queues[\(index)]; dead letters need a queue of their own")
        }
    }

    // MARK: Helpers

    /// Validates an AMQP URL with `AMQPConnectionConfiguration`, reporting its reason (which
    /// never carries the password). The URL itself is never quoted.
    mutating func validateAMQPURL(_ url: String, at path: String, overriding key: String? = nil) -> Bool {
        do {
            _ = try AMQPConnectionConfiguration(url: url)
            return true
        } catch {
            let reason = (error as? AMQPError)?.reason ?? "invalid AMQP URL"
            reader.report(path, key.map { "\(reason) (this variable overrides \($0))" } ?? reason)
            return false
        }
    }

    /// `nil` when `text` is `host:port` with a port in 1...65535 (IPv6 hosts in brackets).
    static func listenAddressProblem(_ text: String) -> String? {
        let expected = "expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464"
        guard let colon = text.lastIndex(of: ":") else { return expected }
        let host = text[..<colon]
        let port = text[text.index(after: colon)...]
        guard !host.isEmpty, let number = Int(port) else { return expected }
        if host.contains(":") && !(host.hasPrefix("[") && host.hasSuffix("]")) {
            return "\(expected) (an IPv6 host goes in brackets)"
        }
        guard (1...65535).contains(number) else { return "the port must be in 1...65535, found \(number)" }
        return nil
    }
}

extension RelayConfiguration.Log.Format {
    /// The names `log.format` accepts.
    static let allNames = ["json", "logfmt"]
}
