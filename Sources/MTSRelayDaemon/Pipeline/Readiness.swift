import MTSCorrelation
import Synchronization

/// Tracks when the consumers are up, for systemd's READY=1 and for logs.
final class Readiness: Sendable {
    /// The consume loops: the intake and the reply queues.
    typealias Part = WatermarkSource

    private let state = Mutex<(ready: Set<Part>, announced: Bool)>(([], false))
    private let onReady: @Sendable () -> Void

    init(onReady: @escaping @Sendable () -> Void) {
        self.onReady = onReady
    }

    func markReady(_ part: Part) {
        let announce = state.withLock { state in
            state.ready.insert(part)
            guard state.ready.count == Part.allCases.count, !state.announced else { return false }
            state.announced = true
            return true
        }
        if announce { onReady() }
    }
}
