/// What one event did to a ``CorrelationCore``: results to emit, in order, and changes to
/// persist now (registrations, purges). Resolutions travel inside their results and are
/// persisted when those results are confirmed.
public struct CorrelationStep: Sendable {
    /// Results in the order they happened.
    public var results: [CorrelationResult] = []
    /// Changes to make durable now, in order.
    public var effects: [PersistenceEffect] = []
    /// For registrations: what happened to the request.
    public var registration: RegistrationStatus?

    /// An empty step.
    public init() {}
}
