import Foundation
import MTSProtocol
import MTSSimulation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The simulated jackpot Bet Engine: `POST /be/tickets` on 127.0.0.1, an HTTP/1.1 server on
/// SwiftNIO. It checks the signature (403 when wrong), answers by the fate named in the
/// request's token (``JackpotFate``), and counts the POSTs per token, so that the check can
/// say whether a request was ever POSTed twice.
final class BetEngineServer: Sendable {
    private let channel: any Channel
    private let counts: Counts
    /// The port it listens on.
    let port: Int

    /// The POST counts, shared with the connections' handlers.
    private final class Counts: Sendable {
        struct State {
            var posts: [String: Int] = [:]
            var refusedSignatures = 0
        }
        let state = Mutex(State())
    }

    /// Starts listening on `port` (0: any free port); `slowDelay` is how long `slow` answers wait.
    init(port: Int, secret: String, slowDelay: Duration) async throws {
        let counts = Counts()
        self.counts = counts
        // Called once per request, on its connection's event loop.
        let answer:
            @Sendable (String, [UInt8], HTTPHeaders) -> (
                HTTPResponseStatus, [(String, String)], String, Duration
            ) = {
                uri, body, headers in
                guard uri == "/be/tickets" else {
                    return (.notFound, [], #"{"code":404,"message":"not found"}"#, .zero)
                }
                let token = (try? JSONValue.parse(body))?.objectValue?["token"]?.stringValue ?? "?"
                let attempt = counts.state.withLock { state -> Int in
                    state.posts[token, default: 0] += 1
                    return state.posts[token] ?? 1
                }
                guard let timestamp = headers.first(name: "timestamp").flatMap({ Int64($0) }),
                    let signature = headers.first(name: "signature"),
                    JackpotSignature.verify(
                        signature: signature, secret: secret, timestamp: timestamp, body: body)
                else {
                    counts.state.withLock { $0.refusedSignatures += 1 }
                    return (.forbidden, [], #"{"code":403,"message":"Forbidden: bad signature"}"#, .zero)
                }
                let fate = JackpotFate(token: token) ?? .accepted
                let planned = fate.answer(attempt: attempt, ticketId: "T-\(token)")
                return (
                    HTTPResponseStatus(statusCode: planned.status), planned.headers, planned.body,
                    planned.afterTimeout ? slowDelay : .zero
                )
            }
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        self.port = channel.localAddress?.port ?? port
    }

    /// POSTs seen per token.
    var posts: [String: Int] { counts.state.withLock { $0.posts } }
    /// POSTs refused for their signature.
    var refusedSignatures: Int { counts.state.withLock { $0.refusedSignatures } }

    /// Stops listening.
    func stop() async {
        try? await channel.close()
    }

    /// Reads requests of one connection and answers each (keep-alive).
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let answer:
            @Sendable (String, [UInt8], HTTPHeaders) -> (
                HTTPResponseStatus, [(String, String)], String, Duration
            )
        private var head: HTTPRequestHead?
        private var body: [UInt8] = []

        init(
            answer:
                @escaping @Sendable (String, [UInt8], HTTPHeaders) -> (
                    HTTPResponseStatus, [(String, String)], String, Duration
                )
        ) {
            self.answer = answer
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
                let (status, headers, text, delay) = answer(head.uri, body, head.headers)
                if delay > .zero {
                    let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    let (seconds, attoseconds) = delay.components
                    context.eventLoop.assumeIsolated().scheduleTask(
                        in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
                    ) {
                        Self.send(status, headers, text, context: loopBound.value)
                    }
                } else {
                    Self.send(status, headers, text, context: context)
                }
            }
        }

        private static func send(
            _ status: HTTPResponseStatus, _ extra: [(String, String)], _ text: String,
            context: ChannelHandlerContext
        ) {
            guard context.channel.isActive else { return }
            var headers = HTTPHeaders(extra)
            headers.replaceOrAdd(name: "Content-Type", value: "application/json")
            headers.replaceOrAdd(name: "Content-Length", value: "\(text.utf8.count)")
            let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
            context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            context.write(
                NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        }
    }
}
