import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Serves `GET /metrics` (Prometheus text format), for operators who scrape Prometheus rather
/// than the log lines, and the probes of load balancers and orchestrators: `GET /health` (200
/// while the process answers) and `GET /ready` (200 while it consumes as the active relay or
/// stands by as a member of its group, 503 otherwise: opening the store, connecting, taking
/// over). A `Service` on SwiftNIO's event loops that stops listening on graceful shutdown.
/// Every response closes its connection (a scrape is one request).
struct PrometheusEndpoint: Service {
    let listen: String
    let registry: PrometheusCollectorRegistry
    /// Where the relay stands, for `/ready`.
    let role: RelayRole
    let logger: Logger

    /// Why the endpoint cannot listen, naming the configuration key.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    func run() async throws {
        let (host, port) = try Self.hostAndPort(listen)
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(description: "metrics.prometheus.listen: cannot listen on \(listen): \(error)")
        }
        logger.info("Serving Prometheus metrics", metadata: ["listen": "\(listen)"])
        // Iterating the inbound connections ends when the task is cancelled (graceful shutdown);
        // executeThenClose then closes the listening socket.
        try? await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await answer(connection) }
                    }
                }
            }
        }
    }

    /// Answers the connection's first request and closes it.
    private func answer(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var path: String?
            for try await part in inbound {
                switch part {
                case .head(let head): path = head.method == .GET ? head.uri : nil
                case .body: continue
                case .end:
                    let (status, contentType, body) = respond(to: path)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: contentType)
                    headers.add(name: "Content-Length", value: "\(body.count)")
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(
                        .head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }

    /// The status, content type and body for a GET of `path` (nil: another method).
    private func respond(to path: String?) -> (HTTPResponseStatus, String, [UInt8]) {
        let text = "text/plain; charset=utf-8"
        switch path {
        case "/metrics": return (.ok, "text/plain; version=0.0.4", registry.emitToBuffer())
        case "/health": return (.ok, text, Array("alive\n".utf8))
        case "/ready":
            let snapshot = role.snapshot
            if snapshot.isReady { return (.ok, text, Array("ready: \(snapshot.role.rawValue)\n".utf8)) }
            return (
                .serviceUnavailable, text,
                Array("not ready: \(snapshot.role.rawValue), not consuming yet\n".utf8)
            )
        default: return (.notFound, text, Array("not found\n".utf8))
        }
    }

    /// `host:port`, with an IPv6 literal in brackets.
    static func hostAndPort(_ listen: String) throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...])
        else {
            throw Failure(description: "metrics.prometheus.listen: expected host:port, found '\(listen)'")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, Int(port))
    }
}
