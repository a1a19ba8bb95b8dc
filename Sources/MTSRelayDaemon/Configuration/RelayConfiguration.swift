import MTSCorrelation

/// Everything `mts-relay run` is configured with: the YAML file, then the environment.
///
/// Every value has the default an operator would expect, so a minimal file names only the
/// broker and the queues. `RelayConfiguration+Loading.swift` reads and validates the YAML.
public struct RelayConfiguration: Sendable, Equatable {
    public var broker = Broker()
    public var intake = Intake()
    public var replies = Replies()
    public var deadLetter = DeadLetter()
    public var store = Store()
    /// Milliseconds by operation name (`ticket-placement`, `ticket-cancel`, ...) and for every
    /// other operation; the built-in table is the engine's (`OperationTimeouts.mtsDefaults`).
    public var timeouts = OperationTimeouts.mtsDefaults
    /// How long tombstones of timed-out and matched requests are kept, to tell `late` and
    /// `duplicate` replies apart (seconds).
    public var retentionSeconds: Int = 3600
    public var sinks: [Sink] = [Sink(name: "stdout", kind: .stdout)]
    public var log = Log()
    public var metrics = Metrics()
    public var shutdown = Shutdown()
    public var engine = Engine()
    /// Several relays sharing a PostgreSQL store (`ha`).
    public var ha = HA()
    /// Jackpot tickets through the Bet Engine; nil when the file has no `jackpot` section.
    public var jackpot: Jackpot?

    public init() {}

    public struct Broker: Sendable, Equatable {
        /// `amqp://user:pass@host:port/vhost` or `amqps://...`; `MTS_RELAY_BROKER_URL` wins.
        public var url: String = "amqp://guest:guest@127.0.0.1:5672/"
        public var tls = TLS()
        public var heartbeatSeconds: Int = 20
        /// The name the broker shows for the daemon's connections.
        public var connectionName: String = "mts-relay"
        public init() {}
    }

    public struct TLS: Sendable, Equatable {
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var verifyPeer: Bool = true
        public var verifyHostname: Bool = true
        public init() {}
    }

    public struct Intake: Sendable, Equatable {
        /// The queue of requests the platform sent to MTS (declared by the daemon).
        public var queue: String = "mts-relay.intake"
        /// Defaults to `broker.url`; `MTS_RELAY_INTAKE_URL` wins.
        public var url: String?
        /// Unacknowledged messages at most. A message stays unacknowledged until its commit, so
        /// the window must cover the deliveries of a few commits: 1 000 drained ~30 % faster
        /// than 200 (docs/performance.md) for ~10 MiB more at full drain.
        public var prefetch: Int = 1000
        /// How long a message may be on its way from the broker: a caught-up consumer's
        /// watermark is the clock minus this.
        public var transitAllowanceMs: Int = 100
        /// Larger messages are invalid (dead-lettered).
        public var maxMessageBytes: Int = 1_048_576
        public init() {}
    }

    public struct Replies: Sendable, Equatable {
        /// MTS reply queues, consumed as they are (declared only when missing).
        public var queues: [String] = ["mts-relay.replies"]
        /// As the intake's: a reply is unacknowledged until its record commits.
        public var prefetch: Int = 1000
        /// An unknown reply is `unmatched` once the intake watermark passes its timestamp plus this.
        public var unmatchedGraceMs: Int = 2000
        /// How long a reply may be on its way from the broker: a caught-up consumer's
        /// watermark is the clock minus this.
        public var transitAllowanceMs: Int = 100
        /// Larger messages are invalid (dead-lettered).
        public var maxMessageBytes: Int = 1_048_576
        public init() {}
    }

    public struct DeadLetter: Sendable, Equatable {
        /// Declared (fanout, durable) and bound to `queue` by the daemon.
        public var exchange: String = "mts-relay.dead-letter"
        public var queue: String = "mts-relay.dead-letter"
        /// Deliveries of one message (the broker's redelivered flag, counted per correlation id
        /// in memory) after which a message still without a decision is dead-lettered with
        /// "gave up after N attempts", so that no message can keep the relay in a loop.
        public var maxAttempts: Int = 10
        public init() {}
    }

    public struct Store: Sendable, Equatable {
        /// The SQLite file of the pending table; its directory must exist. Used when `url` is
        /// not set.
        public var path: String = "/var/lib/mts-relay/pending.sqlite"
        /// `postgresql://user[:password]@host[:port]/database`: the pending table in PostgreSQL,
        /// shared by the relays of `ha.group`; `MTS_RELAY_STORE_URL` wins. Nil: SQLite at `path`.
        public var url: String?
        /// How long the log of results keeps a record after every sink has it: how far back
        /// `mts-relay replay` reaches. Disk: about the records' size times the rate times this.
        public var replayWindowSeconds: Int = 3600
        public init() {}
    }

    public struct Engine: Sendable, Equatable {
        /// Outstanding requests at most; past it, intake waits (backpressure).
        public var capacity: Int = 1_000_000
        /// How far MTS's clock may run ahead of the platform's: a reply stamped up to this long
        /// after its request's deadline is still in time.
        public var clockSkewToleranceMs: Int = 0
        /// Results (timeouts, unmatched replies) waiting for the sinks, at most; when it is
        /// full, timeouts wait in the pending table until the sinks catch up.
        public var resultQueue: Int = 10_000
        public init() {}
    }

    /// One result sink. `outcomes`/`operations` empty means "all".
    public struct Sink: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case stdout
            case file(path: String)
            case http(HTTP)
            case amqp(AMQP)
        }

        public var name: String
        public var kind: Kind
        /// The outcomes the sink receives; empty = all.
        public var outcomes: Set<CorrelationOutcome> = []
        /// Operation names the sink receives; empty = all. Records without an operation
        /// (unmatched, some invalid) pass an operations filter only when it is empty.
        public var operations: Set<String> = []
        public var retry = Retry()
        /// Whether consumption waits for this sink: when it falls `maxBacklog` records behind,
        /// the relay stops taking replies until it catches up. A sink that is not required
        /// drops its own oldest records past `maxBacklog` instead (counted).
        public var required = true
        /// The records this sink may fall behind the log.
        public var maxBacklog = 100_000

        public init(
            name: String, kind: Kind, outcomes: Set<CorrelationOutcome> = [], operations: Set<String> = []
        ) {
            self.name = name
            self.kind = kind
            self.outcomes = outcomes
            self.operations = operations
        }
    }

    /// Shared retry settings of the http and amqp sinks: exponential backoff with jitter.
    public struct Retry: Sendable, Equatable {
        public var initialDelayMs: Int = 100
        public var maxDelayMs: Int = 30_000
        public init() {}
    }

    public struct HTTP: Sendable, Equatable {
        public var url: String
        public var timeoutMs: Int = 5000
        /// Records per POST; 1 posts one JSON object, more post a JSON array.
        public var batchSize: Int = 1
        /// Header name to value; a value `${NAME}` is read from the environment variable NAME.
        public var headers: [String: String] = [:]
        /// Header name to its value as written, for the headers whose value named environment
        /// variables (`Bearer ${TOKEN}`): descriptions show this instead of the secret.
        public var headerTemplates: [String: String] = [:]
        /// Where records refused permanently (4xx other than 429) are appended.
        public var deadLetterPath: String
        /// PEM file of the certificate authorities an https endpoint's certificate must chain
        /// to (`tls.caFile`); nil trusts the system's store.
        public var caFile: String?
        public init(url: String, deadLetterPath: String) {
            self.url = url
            self.deadLetterPath = deadLetterPath
        }
    }

    public struct AMQP: Sendable, Equatable {
        /// Defaults to `broker.url`.
        public var url: String?
        public var exchange: String
        /// Template with `{outcome}` and `{operation}` placeholders.
        public var routingKey: String = "{outcome}.{operation}"
        public init(exchange: String) { self.exchange = exchange }
    }

    public struct Log: Sendable, Equatable {
        public enum Format: String, Sendable, Equatable { case json, logfmt }
        public var format: Format = .logfmt
        /// trace, debug, info, notice, warning, error, critical
        public var level: String = "info"
        public init() {}
    }

    public struct Metrics: Sendable, Equatable {
        public var intervalSeconds: Int = 10
        /// `host:port` for a Prometheus endpoint; nil = off.
        public var prometheusListen: String?
        public init() {}
    }

    public struct Shutdown: Sendable, Equatable {
        /// The daemon exits within this bound after SIGTERM/SIGINT (seconds).
        public var timeoutSeconds: Int = 10
        public init() {}
    }
}
