import ServiceLifecycle

/// Runs the sinks' background work (connections); on shutdown, after the result loop.
struct SinksService: Service {
    let sinks: [any ResultSink]

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for sink in sinks {
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
