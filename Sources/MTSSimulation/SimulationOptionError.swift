/// An option of the simulation that cannot be used, with a message for the operator.
public struct SimulationOptionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, naming the option.
    public var description: String

    /// An error with `description` as its message.
    public init(_ description: String) {
        self.description = description
    }
}
