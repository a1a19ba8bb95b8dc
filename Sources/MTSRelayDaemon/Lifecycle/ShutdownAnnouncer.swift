import Logging
import ServiceLifecycle

/// Tells systemd (`STOPPING=1`) and the log that shutdown has begun.
struct ShutdownAnnouncer: Service {
    let notifier: SystemdNotifier?
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.notice("Shutting down: stopping consumers, finishing records in flight")
        notifier?.stopping()
    }
}
