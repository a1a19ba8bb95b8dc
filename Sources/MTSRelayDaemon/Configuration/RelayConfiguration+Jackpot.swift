extension RelayConfiguration {
    /// The jackpot engine's SQLite file, next to `store.path`: `pending.sqlite` becomes
    /// `pending.jackpot.sqlite`; a path not ending in `.sqlite` gets `.jackpot` appended.
    public var jackpotStorePath: String {
        let suffix = ".sqlite"
        guard store.path.hasSuffix(suffix) else { return store.path + ".jackpot" }
        return String(store.path.dropLast(suffix.count)) + ".jackpot" + suffix
    }

    /// The `jackpot` section: jackpot ticket requests read from `queue` and POSTed to the Bet
    /// Engine (`POST /be/tickets`, reference §3). Absent: no jackpot side runs.
    public struct Jackpot: Sendable, Equatable {
        /// The queue the platform puts jackpot ticket requests on (declared durable).
        public var queue: String
        /// The full `POST /be/tickets` URL, http or https.
        public var url: String
        /// Sent as the `operator-name` header.
        public var operatorName: String
        /// How long a request may take, from its registration to the answer (ms).
        public var timeoutMs: Int = 10_000
        /// POSTs in flight at most.
        public var concurrency: Int = 8
        /// Deliveries of `queue` unacknowledged at most.
        public var prefetch: Int = 100
        /// The largest request accepted, in bytes; a larger one is dead-lettered unparsed.
        public var maxMessageBytes: Int = 1_048_576
        /// The CA certificates (PEM) that verify an https `url`; nil: the system's.
        public var caFile: String?
        /// The HMAC secret, read only from `MTS_RELAY_JACKPOT_SECRET`; never printed.
        public var secret: String?

        /// A section with the three required keys; the rest default.
        public init(queue: String, url: String, operatorName: String) {
            self.queue = queue
            self.url = url
            self.operatorName = operatorName
        }
    }
}
