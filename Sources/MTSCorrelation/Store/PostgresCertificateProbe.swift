import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import PostgresNIO

/// Fetches the certificate a PostgreSQL server presents, without trusting it, to say why a
/// verified connection was refused.
///
/// BoringSSL (through NIOSSL and postgres-nio) reports a failed chain check only as
/// `CERTIFICATE_VERIFY_FAILED`, whatever the cause; the operator needs to know whether the
/// certificate expired or was signed by a CA they did not trust. The decision stays NIOSSL's:
/// this runs only after it refused, and only for the message. It sends nothing but PostgreSQL's
/// 8-byte SSLRequest and a TLS ClientHello (no user name, no password), then closes.
enum PostgresCertificateProbe {
    /// PostgreSQL's SSLRequest: length 8, then the request code 80877103.
    private static let sslRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]

    /// The leaf certificate the server at `url` presents, or nil when it presents none or the
    /// probe fails (within `timeout`).
    static func leafCertificate(
        of url: PostgresURL, timeout: TimeAmount = .seconds(5)
    ) -> EventLoopFuture<NIOSSLCertificate?> {
        let eventLoop = PostgresConnection.defaultEventLoopGroup.any()
        let answer = eventLoop.makePromise(of: NIOSSLCertificate?.self)
        let bootstrap = ClientBootstrap(group: eventLoop).connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProbeHandler(answer: answer))
                }
            }
        let connecting: EventLoopFuture<any Channel> =
            if let socketPath = url.socketPath {
                bootstrap.connect(unixDomainSocketPath: socketPath)
            } else {
                bootstrap.connect(host: url.hostAddress ?? url.host, port: url.port)
            }
        connecting.whenComplete { result in
            switch result {
            case .success(let channel):
                let timer = channel.eventLoop.scheduleTask(in: timeout) { answer.succeed(nil) }
                answer.futureResult.whenComplete { _ in
                    timer.cancel()
                    channel.close(promise: nil)
                }
                channel.writeAndFlush(channel.allocator.buffer(bytes: sslRequest), promise: nil)
            case .failure:
                answer.succeed(nil)
            }
        }
        return answer.futureResult
    }

    /// Reads the server's one-byte answer to the SSLRequest; on `S`, puts NIOSSL (checking
    /// nothing) in front and answers the leaf certificate once the handshake is done.
    private final class ProbeHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer

        private let answer: EventLoopPromise<NIOSSLCertificate?>
        private var upgraded = false

        init(answer: EventLoopPromise<NIOSSLCertificate?>) {
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !upgraded else { return }
            upgraded = true
            var buffer = unwrapInboundIn(data)
            guard buffer.readInteger(as: UInt8.self) == UInt8(ascii: "S") else {
                answer.succeed(nil)
                return
            }
            do {
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                let handler = try NIOSSLClientHandler(
                    context: try NIOSSLContext(configuration: configuration), serverHostname: nil)
                try context.pipeline.syncOperations.addHandler(handler, position: .first)
            } catch {
                answer.succeed(nil)
            }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
                let answer = self.answer
                context.channel.nioSSL_peerCertificate().whenComplete {
                    answer.succeed((try? $0.get()) ?? nil)
                }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            answer.succeed(nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            answer.succeed(nil)
            context.fireChannelInactive()
        }
    }
}
