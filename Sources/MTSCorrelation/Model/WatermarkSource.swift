/// Which input a watermark measures.
public enum WatermarkSource: String, Sendable, Hashable, CaseIterable {
    /// A reply queue: its watermark decides timeouts.
    case replies
    /// The intake queue: its watermark decides `unmatched`.
    case intake
}
