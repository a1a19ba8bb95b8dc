/// The first line of a run manifest: the run as a whole.
public struct ManifestHeader: Sendable, Hashable, Codable {
    /// Always `mts-sim-run`; tells a manifest from other JSON lines.
    public var format = "mts-sim-run"
    /// Every correlation id of the run starts with `<prefix>-`.
    public var prefix: String
    public var seed: UInt64
    /// Milliseconds since the epoch: when the run started (before its first message).
    public var startedAt: Int64
    /// Milliseconds since the epoch: when its last message was confirmed.
    public var finishedAt: Int64
    /// The options that shaped the run, for people.
    public var options: String

    /// A header with these values.
    public init(prefix: String, seed: UInt64, startedAt: Int64, finishedAt: Int64, options: String) {
        self.prefix = prefix
        self.seed = seed
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.options = options
    }
}
