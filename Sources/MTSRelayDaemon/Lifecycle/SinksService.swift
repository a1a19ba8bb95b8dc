import ServiceLifecycle

/// Runs the sinks' background work (connections, reopening files) for the whole process; the
/// terms' readers (``SinkReaders``) deliver through them. Stops after every term, so the last
/// batches under way can still be accepted.
struct SinksService: Service {
    let routes: [SinkRoute]

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for sink in routes.map(\.sink) {
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
