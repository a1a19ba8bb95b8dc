import AsyncHTTPClient
import ServiceLifecycle

/// Owns an HTTP client for the life of the process: the jackpot upstream's. Terms come and go
/// (a member steps down and is elected again); the client stays, and is shut down only once
/// the daemon stops, after every term has ended (it is placed before the terms in the service
/// group, so it stops after them).
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
