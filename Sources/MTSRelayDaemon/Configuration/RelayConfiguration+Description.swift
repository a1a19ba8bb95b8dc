import AMQPClient
import MTSCorrelation
import Yams

extension RelayConfiguration {
    /// The configuration as YAML, every key with its resolved value, with secrets masked.
    ///
    /// URL passwords read `****`; an http sink header whose value named environment variables
    /// shows the value as written (`${NAME}`), never what the variables held; `Authorization`
    /// and `Proxy-Authorization` headers read `****` whatever their value. Loading the text
    /// again gives this configuration with the masked values in place of the secrets.
    public func resolvedDescription() -> String {
        var node = Self.map([
            (
                "broker",
                Self.map([
                    ("url", .string(Self.maskedAMQPURL(broker.url))),
                    (
                        "tls",
                        Self.map([
                            ("caFile", .optional(broker.tls.caFile)),
                            ("certificateFile", .optional(broker.tls.certificateFile)),
                            ("keyFile", .optional(broker.tls.keyFile)),
                            ("verifyPeer", .bool(broker.tls.verifyPeer)),
                            ("verifyHostname", .bool(broker.tls.verifyHostname)),
                        ])
                    ),
                    ("heartbeatSeconds", .int(broker.heartbeatSeconds)),
                    ("connectionName", .string(broker.connectionName)),
                ])
            ),
            (
                "intake",
                Self.map([
                    ("queue", .string(intake.queue)),
                    ("url", .optional(intake.url.map(Self.maskedAMQPURL))),
                    ("prefetch", .int(intake.prefetch)),
                    ("transitAllowanceMs", .int(intake.transitAllowanceMs)),
                    ("maxMessageBytes", .int(intake.maxMessageBytes)),
                ])
            ),
            (
                "replies",
                Self.map([
                    ("queues", Self.list(replies.queues)),
                    ("prefetch", .int(replies.prefetch)),
                    ("unmatchedGraceMs", .int(replies.unmatchedGraceMs)),
                    ("transitAllowanceMs", .int(replies.transitAllowanceMs)),
                    ("maxMessageBytes", .int(replies.maxMessageBytes)),
                ])
            ),
            (
                "deadLetter",
                Self.map([
                    ("exchange", .string(deadLetter.exchange)), ("queue", .string(deadLetter.queue)),
                    ("maxAttempts", .int(deadLetter.maxAttempts)),
                ])
            ),
            (
                "store",
                Self.map([
                    ("path", .string(store.path)),
                    ("url", .optional(store.url.map { StoreLocation.maskedPostgresURL($0) ?? "****" })),
                    ("replayWindowSeconds", .int(store.replayWindowSeconds)),
                ])
            ),
            (
                "ha",
                Self.map([
                    ("group", .string(ha.group)), ("node", .string(ha.node)), ("leaseMs", .int(ha.leaseMs)),
                ])
            ),
            (
                "timeouts",
                Self.map(
                    [("default", .int(Int(timeouts.defaultTimeout)))]
                        + timeouts.byOperation.sorted { $0.key < $1.key }.map {
                            ($0.key, .int(Int($0.value)))
                        })
            ),
            ("retentionSeconds", .int(retentionSeconds)),
            (
                "engine",
                Self.map([
                    ("capacity", .int(engine.capacity)),
                    ("clockSkewToleranceMs", .int(engine.clockSkewToleranceMs)),
                    ("resultQueue", .int(engine.resultQueue)),
                ])
            ),
            ("sinks", .sequence(Node.Sequence(sinks.map(Self.describe)))),
            ("log", Self.map([("format", .string(log.format.rawValue)), ("level", .string(log.level))])),
            (
                "metrics",
                Self.map([
                    ("intervalSeconds", .int(metrics.intervalSeconds)),
                    (
                        "prometheus",
                        metrics.prometheusListen.map { Self.map([("listen", .string($0))]) } ?? .null
                    ),
                ])
            ),
            ("shutdown", Self.map([("timeoutSeconds", .int(shutdown.timeoutSeconds))])),
        ])
        if let jackpot { node[.string("jackpot")] = Self.describe(jackpot) }
        let text =
            (try? Yams.serialize(node: node, indent: 2, width: -1, allowUnicode: true))
            ?? "# the configuration could not be rendered as YAML\n"
        guard let jackpot else { return text }
        // The secret comes from the environment only: say whether it is there, never what it is.
        let secret = jackpot.secret == nil ? "absent" : "****"
        return text + "# jackpot secret (\(ConfigurationLoader.jackpotSecretVariable)): \(secret)\n"
    }

    private static func describe(_ jackpot: Jackpot) -> Node {
        map([
            ("queue", .string(jackpot.queue)),
            ("url", .string(HTTPURL.masked(jackpot.url))),
            ("operatorName", .string(jackpot.operatorName)),
            ("timeoutMs", .int(jackpot.timeoutMs)),
            ("concurrency", .int(jackpot.concurrency)),
            ("prefetch", .int(jackpot.prefetch)),
            ("maxMessageBytes", .int(jackpot.maxMessageBytes)),
            ("tls", map([("caFile", .optional(jackpot.caFile))])),
        ])
    }

    private static func describe(_ sink: Sink) -> Node {
        var pairs: [(String, Node)] = []
        let retry: [(String, Node)] = [
            (
                "retry",
                map([
                    ("initialDelayMs", .int(sink.retry.initialDelayMs)),
                    ("maxDelayMs", .int(sink.retry.maxDelayMs)),
                ])
            )
        ]
        switch sink.kind {
        case .stdout:
            pairs = [("type", .string("stdout"))]
        case .file(let path):
            pairs = [("type", .string("file")), ("path", .string(path))]
        case .http(let http):
            let headers = http.headers.sorted { $0.key < $1.key }.map { name, value -> (String, Node) in
                if ConfigurationLoader.isSecretHeader(name) { return (name, .string("****")) }
                return (name, .string(http.headerTemplates[name] ?? value))
            }
            pairs =
                [
                    ("type", .string("http")),
                    ("url", .string(HTTPURL.masked(http.url))),
                    ("timeoutMs", .int(http.timeoutMs)),
                    ("batchSize", .int(http.batchSize)),
                    ("headers", map(headers)),
                    ("deadLetterPath", .string(http.deadLetterPath)),
                    ("tls", map([("caFile", .optional(http.caFile))])),
                ] + retry
        case .amqp(let amqp):
            pairs =
                [
                    ("type", .string("amqp")),
                    ("url", .optional(amqp.url.map(maskedAMQPURL))),
                    ("exchange", .string(amqp.exchange)),
                    ("routingKey", .string(amqp.routingKey)),
                ] + retry
        }
        pairs.insert(("name", .string(sink.name)), at: 1)
        pairs += [
            ("outcomes", list(sink.outcomes.sorted().map(\.rawValue))),
            ("operations", list(sink.operations.sorted())),
            ("required", .bool(sink.required)),
            ("maxBacklog", .int(sink.maxBacklog)),
        ]
        return map(pairs)
    }

    /// The URL with its password as `****` (wholly `****` if it does not parse).
    private static func maskedAMQPURL(_ url: String) -> String {
        (try? AMQPConnectionConfiguration(url: url).maskedURL) ?? "****"
    }

    private static func map(_ pairs: [(String, Node)]) -> Node {
        .mapping(Node.Mapping(pairs.map { (.string($0.0), $0.1) }))
    }

    private static func list(_ items: [String]) -> Node {
        .sequence(Node.Sequence(items.map { .string($0) }, .implicit, .flow))
    }
}

extension Node {
    /// A string scalar, quoted when YAML would otherwise read it as a number, boolean or null.
    fileprivate static func string(_ value: String) -> Node {
        let plain = Node(value)
        let readsAsString = plain.tag.description == Tag.Name.str.rawValue
        return Node(value, Tag(.str), readsAsString ? .any : .doubleQuoted)
    }

    fileprivate static func int(_ value: Int) -> Node {
        Node(String(value), Tag(.int))
    }

    fileprivate static func bool(_ value: Bool) -> Node {
        Node(value ? "true" : "false", Tag(.bool))
    }

    fileprivate static var null: Node { Node("null", Tag(.null)) }

    fileprivate static func optional(_ value: String?) -> Node {
        value.map(string) ?? null
    }
}
