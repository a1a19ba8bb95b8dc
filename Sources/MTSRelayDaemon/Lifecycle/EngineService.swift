import MTSCorrelation
import ServiceLifecycle

/// Runs the engine's timer loop; on shutdown, closes the engine (committing its store).
struct EngineService: Service {
    let engine: CorrelationEngine

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await engine.run() }
        await engine.shutdown()
    }
}
