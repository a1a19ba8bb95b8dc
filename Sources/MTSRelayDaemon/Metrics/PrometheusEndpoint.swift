import Foundation
import Glibc
import Logging
import Prometheus

/// Serves `GET /metrics` (Prometheus text format) on a thread of its own, for operators who
/// scrape Prometheus rather than the log lines.
///
/// A deliberately small HTTP/1.0 responder: one request per connection, answered and closed.
/// It runs on a dedicated thread because accept and write block, and it must never take a
/// thread of Swift's cooperative pool. It serves until the process exits.
struct PrometheusEndpoint: Sendable {
    let listen: String
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func start() throws {
        let descriptor = try bind()
        let registry = registry
        let thread = Thread {
            while true {
                let client = accept(descriptor, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                Self.answer(client, registry: registry)
                close(client)
            }
        }
        thread.name = "prometheus-endpoint"
        thread.start()
        logger.info("Serving Prometheus metrics", metadata: ["listen": "\(listen)"])
    }

    private static func answer(_ client: Int32, registry: PrometheusCollectorRegistry) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8](repeating: 0, count: 2048)
        let count = recv(client, &request, request.count, 0)
        guard count > 0 else { return }
        let line = String(decoding: request[..<count], as: UTF8.self).prefix { $0 != "\r" && $0 != "\n" }
        let response: [UInt8]
        if line.hasPrefix("GET /metrics ") || line == "GET /metrics" {
            let body = registry.emitToBuffer()
            response =
                Array(
                    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.count)\r\n\r\n"
                        .utf8) + body
        } else {
            response = Array("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".utf8)
        }
        var offset = 0
        while offset < response.count {
            let written = response.withUnsafeBytes {
                send(client, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return }
            offset += written
        }
    }

    /// A listening TCP socket on `host:port` (IPv4 or IPv6 literal, or `localhost`).
    private func bind() throws -> Int32 {
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...])
        else {
            throw Failure(description: "metrics.prometheus.listen: expected host:port, found '\(listen)'")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let address = result else {
            throw Failure(description: "metrics.prometheus.listen: cannot resolve '\(host)'")
        }
        defer { freeaddrinfo(result) }
        let descriptor = socket(
            address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw Failure(description: "metrics endpoint: socket() failed: errno \(errno)")
        }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0,
            Glibc.listen(descriptor, 16) == 0
        else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(description: "metrics.prometheus.listen: cannot listen on \(listen): \(reason)")
        }
        return descriptor
    }
}
