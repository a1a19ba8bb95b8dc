import Logging
import MTSCorrelation
import ServiceLifecycle

/// Watches how far each queue's watermark trails the clock, once a second, and logs a warning
/// when a lag passes ``threshold`` (once, until it comes back under) — typically a queue whose
/// consumer is disconnected: its watermark holds every timeout back until it is consumed again.
struct WatermarkMonitor: Service {
    /// The lag past which a warning is logged.
    static let threshold: Int64 = 10_000

    let engine: CorrelationEngine
    let logger: Logger

    func run() async throws {
        var alarm = LagAlarm(threshold: Self.threshold)
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            } catch {
                return
            }
            let now = Timestamp.nowMilliseconds()
            for mark in await engine.watermarks {
                // A watermark still unknown is not a lag: nothing has been decided by it yet.
                guard let watermark = mark.watermark else { continue }
                let name = "\(mark.source.rawValue):\(mark.queue)"
                switch alarm.update(name, lagMs: now - watermark) {
                case .raised:
                    logger.warning(
                        "A watermark lags the clock by more than \(Self.threshold / 1000) s; timeouts (replies) or unmatched verdicts (intake) wait for it",
                        metadata: [
                            "source": "\(mark.source.rawValue)", "queue": "\(mark.queue)",
                            "lagMs": "\(now - watermark)",
                        ])
                case .cleared:
                    logger.info(
                        "The watermark caught up again",
                        metadata: ["source": "\(mark.source.rawValue)", "queue": "\(mark.queue)"])
                case nil:
                    break
                }
            }
        }
    }
}

/// Which lags are over a threshold; tells when one crosses it, either way. A pure value.
struct LagAlarm: Sendable {
    enum Change: Equatable { case raised, cleared }

    let threshold: Int64
    private(set) var over: Set<String> = []

    init(threshold: Int64) { self.threshold = threshold }

    mutating func update(_ name: String, lagMs: Int64) -> Change? {
        if lagMs > threshold {
            return over.insert(name).inserted ? .raised : nil
        }
        return over.remove(name) != nil ? .cleared : nil
    }
}
