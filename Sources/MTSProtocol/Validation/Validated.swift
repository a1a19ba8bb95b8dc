/// A decoded value when the input breaks no rule, and every violation otherwise.
public struct Validated<Value: Sendable & Hashable>: Sendable, Hashable {
    /// The value; nil exactly when there are violations.
    public var value: Value?
    /// Every rule the input breaks, in validation order (envelope first, then content).
    public var violations: [Violation]

    /// Whether the input breaks no rule.
    public var isValid: Bool { violations.isEmpty }
}
