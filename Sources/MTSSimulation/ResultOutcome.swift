import MTSCorrelation

/// The outcomes mts-relay writes in its result records (`outcome`): the engine's own list.
public typealias ResultOutcome = CorrelationOutcome
