import ServiceLifecycle

/// Runs the sinks' lanes (each sink's bounded queue, delivery and retry) and their background
/// work (connections); on shutdown, after the result loop and the consumers, so the last
/// records under way can still be accepted.
struct SinksService: Service {
    let dispatcher: ResultDispatcher

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await cancelWhenGracefulShutdown { await dispatcher.run() } }
            for sink in dispatcher.routes.map(\.sink) {
                group.addTask {
                    do {
                        try await cancelWhenGracefulShutdown { try await sink.run() }
                    } catch is CancellationError {
                        // Shutting down.
                    }
                }
            }
            // Most sinks have no background work and return at once; the service itself lives
            // until shutdown (a service that returns early would stop the daemon).
            group.addTask { try? await gracefulShutdown() }
        }
    }
}
