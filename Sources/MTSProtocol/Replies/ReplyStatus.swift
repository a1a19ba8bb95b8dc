/// The outcome MTS gives a ticket or a cancellation.
public enum ReplyStatus: String, Sendable, Hashable, CaseIterable {
    case accepted
    case rejected
}
