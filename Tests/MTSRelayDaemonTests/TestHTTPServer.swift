import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A small scriptable HTTP/1.1 server on 127.0.0.1 and an ephemeral port, for the http sink's
/// tests: it records every request and answers what `respond` says. With `tls` it speaks
/// HTTPS (NIOSSL) with that certificate.
final class TestHTTPServer: Sendable {
    /// One request as received.
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]
        var at: ContinuousClock.Instant

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// The correlation ids of the record or records in the body.
        var correlationIds: [String] {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) else { return [] }
            let records = object as? [[String: Any]] ?? [object as? [String: Any] ?? [:]]
            return records.compactMap { $0["correlationId"] as? String }
        }

        /// How many records the body holds (1 for an object).
        var recordCount: Int {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) else { return 0 }
            return (object as? [Any])?.count ?? 1
        }
    }

    /// What to answer.
    struct Response: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = []
        var body: String = ""
        /// Wait this long before answering.
        var delay: Duration = .zero
    }

    private let channel: any Channel
    private let state: Locked<[Request]>
    let port: Int
    private let scheme: String
    var url: String { "\(scheme)://127.0.0.1:\(port)/results" }

    /// Starts listening; `respond` decides each answer (called on an event loop).
    /// - Parameter tls: PEM certificate and key files: serve HTTPS with them.
    init(
        tls: (certificateFile: String, keyFile: String)? = nil,
        respond: @escaping @Sendable (Request) -> Response = { _ in Response() }
    ) async throws {
        let state = Locked<[Request]>([])
        self.state = state
        scheme = tls == nil ? "http" : "https"
        let sslContext = try tls.map {
            try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile($0.certificateFile).map {
                        .certificate($0)
                    },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: $0.keyFile, format: .pem))))
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        Handler { request in
                            state.withLock { $0.append(request) }
                            return respond(request)
                        })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    /// Every request received so far.
    var requests: [Request] { state.withLock { $0 } }

    /// Every correlation id received so far, in order.
    var correlationIds: [String] { requests.flatMap(\.correlationIds) }

    /// Stops listening (connections already open stay until their clients close them).
    func stop() async {
        try? await channel.close()
    }

    /// Reads one request, answers it. One per connection, on the connection's event loop.
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let respond: @Sendable (Request) -> Response
        private var head: HTTPRequestHead?
        private var body: [UInt8] = []

        init(respond: @escaping @Sendable (Request) -> Response) {
            self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(let buffer):
                body += buffer.readableBytesView
            case .end:
                guard let head else { return }
                let request = Request(
                    method: "\(head.method)", uri: head.uri,
                    headers: head.headers.map { ($0.name, $0.value) },
                    body: body, at: .now)
                let response = respond(request)
                if response.delay > .zero {
                    let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    context.eventLoop.assumeIsolated().scheduleTask(
                        in: .nanoseconds(
                            response.delay.components.seconds * 1_000_000_000
                                + response.delay.components.attoseconds / 1_000_000_000)
                    ) {
                        Self.send(response, context: loopBound.value)
                    }
                } else {
                    Self.send(response, context: context)
                }
            }
        }

        private static func send(_ response: Response, context: ChannelHandlerContext) {
            guard context.channel.isActive else { return }
            var headers = HTTPHeaders(response.headers)
            headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.utf8.count)")
            let head = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
            context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            context.write(
                NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: response.body)))),
                promise: nil)
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        }
    }
}

/// A value behind a lock that closures can share (a `Mutex` itself cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }

    var value: Value { withLock { $0 } }
}
