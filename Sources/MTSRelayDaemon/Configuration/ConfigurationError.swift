/// One problem found in the configuration: where it is, and what is wrong.
///
/// `keyPath` names the place in the YAML document (`broker.url`, `replies.queues[1]`,
/// `sinks[0].outcomes[2]`), the environment variable that carried the value
/// (`MTS_RELAY_BROKER_URL`), or, for problems with the file as a whole, the file's path (with
/// line and column for YAML syntax errors). `reason` never quotes a password.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is: a key path, an environment variable or a file path.
    public var keyPath: String
    /// What is wrong, and what would be accepted.
    public var reason: String

    /// Creates an error for the value at `keyPath`.
    public init(keyPath: String, reason: String) {
        self.keyPath = keyPath
        self.reason = reason
    }

    /// `<keyPath>: <reason>`; a problem with the document's top level reads `(top level): ...`.
    public var description: String {
        "\(keyPath.isEmpty ? "(top level)" : keyPath): \(reason)"
    }
}
