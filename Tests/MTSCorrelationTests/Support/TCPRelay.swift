import NIOCore
import NIOPosix

/// A TCP relay: listens on `host` (a loopback address of the test's choosing) and copies bytes
/// both ways to `target`, untouched. It lets a test reach the real PostgreSQL server at an
/// address its certificate does not list, with the server's own handshake and certificate.
final class TCPRelay: Sendable {
    let host: String
    let port: Int
    private let channel: any Channel

    init(listeningOn host: String, to targetHost: String, port targetPort: Int) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop).connect(host: targetHost, port: targetPort)
                    .flatMap { outbound in
                        outbound.eventLoop.makeCompletedFuture {
                            let (first, second) = Glue.pair()
                            try inbound.pipeline.syncOperations.addHandler(first)
                            try outbound.pipeline.syncOperations.addHandler(second)
                        }
                    }
            }
            .bind(host: host, port: 0).get()
        self.host = host
        port = channel.localAddress?.port ?? 0
    }

    func close() async {
        try? await channel.close()
    }

    /// One side of the relay: what it reads, its partner writes; when it closes, so does the
    /// partner. The accepted channel is registered (and reads) only once the initializer, which
    /// connects the other side first, is done: nothing is read before it can be passed on.
    private final class Glue: ChannelDuplexHandler {
        typealias InboundIn = NIOAny
        typealias OutboundIn = NIOAny
        typealias OutboundOut = NIOAny

        private var partner: Glue?
        private var context: ChannelHandlerContext?

        static func pair() -> (Glue, Glue) {
            let (first, second) = (Glue(), Glue())
            first.partner = second
            second.partner = first
            return (first, second)
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
            partner = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let other = partner?.context else { return }
            // Both channels are on one event loop (the client bootstrap takes the inbound one's).
            other.writeAndFlush(data, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner?.context?.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
