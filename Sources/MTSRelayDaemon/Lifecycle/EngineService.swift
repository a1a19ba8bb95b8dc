import MTSCorrelation
import ServiceLifecycle

/// Runs the engine's timer loop; on shutdown, closes the engine (committing its store).
///
/// A store that failed (it cannot write, or the lease's fence refused a write) ends the
/// service with that error: the engine decides nothing more, so the daemon stops (SQLite:
/// systemd restarts it) or the member steps down (PostgreSQL: ``LeadershipService``).
struct EngineService: Service {
    let engine: CorrelationEngine

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await engine.run() }
        } catch let error as CorrelationError {
            await engine.shutdown()
            throw error
        } catch {
            // Cancelled: shutting down, or the term was stopped.
        }
        await engine.shutdown()
    }
}
