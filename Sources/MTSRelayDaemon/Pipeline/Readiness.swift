import Synchronization

/// Tracks when the consumers are up, for systemd's READY=1 and for logs.
final class Readiness: Sendable {
    typealias Part = ConsumeLoop

    private let state = Mutex<(ready: Set<Part>, announced: Bool)>(([], false))
    private let onReady: @Sendable () -> Void
    /// The loops that must all be up (the configured ones).
    private let parts: Set<Part>

    init(parts: Set<Part>, onReady: @escaping @Sendable () -> Void) {
        self.parts = parts
        self.onReady = onReady
    }

    func markReady(_ part: Part) {
        let announce = state.withLock { state in
            state.ready.insert(part)
            guard state.ready.isSuperset(of: parts), !state.announced else { return false }
            state.announced = true
            return true
        }
        if announce { onReady() }
    }
}
