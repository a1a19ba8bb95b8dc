/// Every problem found while loading a configuration: section by section, then the environment's.
///
/// Loading does not stop at the first problem: an operator fixes a file in one pass. The
/// description has one `<keyPath>: <reason>` line per problem.
public struct ConfigurationErrors: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, never empty.
    public var errors: [ConfigurationError]

    /// Wraps the problems found; `errors` must not be empty.
    public init(_ errors: [ConfigurationError]) {
        precondition(!errors.isEmpty, "ConfigurationErrors needs at least one error")
        self.errors = errors
    }

    /// One line per problem.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
