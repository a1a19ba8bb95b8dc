import NIOCore
import NIOPosix
import NIOSSL

/// A listener on 127.0.0.1 that answers PostgreSQL's SSLRequest with `S` and then does the
/// TLS handshake with a certificate of the test's choosing, and nothing after it: the real
/// server presents one certificate only, and a refusal test needs another (an expired one).
/// The client refuses during the handshake, before any PostgreSQL message would follow.
final class TLSOnlyPostgresListener: Sendable {
    let port: Int
    private let channel: any Channel

    /// Listens with the certificate and key in the PEM files `certificate` and `key`.
    init(certificate: String, key: String) async throws {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SSLRequestAnswerer(context: context))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func close() async {
        try? await channel.close()
    }

    /// Answers the 8-byte SSLRequest with `S`, then puts NIOSSL's server side in front.
    private final class SSLRequestAnswerer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let context: NIOSSLContext
        private var received = 0
        private var upgraded = false

        init(context: NIOSSLContext) {
            self.context = context
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !upgraded else { return }
            received += unwrapInboundIn(data).readableBytes
            guard received >= 8 else { return }
            upgraded = true
            context.writeAndFlush(
                wrapOutboundOut(context.channel.allocator.buffer(bytes: [UInt8(ascii: "S")]))
            )
            .assumeIsolated().whenSuccess {
                _ = try? context.pipeline.syncOperations.addHandler(
                    NIOSSLServerHandler(context: self.context), position: .first)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
