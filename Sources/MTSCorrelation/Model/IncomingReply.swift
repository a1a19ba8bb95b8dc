/// A message from the reply queues, as handed to ``CorrelationEngine/receive(contentsOf:)``:
/// a well-formed reply, or one the daemon found invalid.
public enum IncomingReply: Sendable, Hashable {
    /// A reply that passed validation.
    case wellFormed(CorrelationReply)
    /// A message that failed decoding or validation: it yields one `invalid` result.
    case rejected(RejectedMessage)
}
