import AsyncHTTPClient
import Foundation
import MTSProtocol
import NIOCore
import NIOPosix
import Testing

@testable import MTSRelayDaemon

/// ``JackpotUpstream/send(_:correlationId:deadline:)`` against real servers on 127.0.0.1:
/// "not sent" exactly when the request's bytes never left, "outcome unknown" when they may have.
@Suite("Jackpot upstream attempts", .timeLimit(.minutes(2)))
struct JackpotUpstreamTests {
    static let secret = "12345ABCDE"

    static func upstream(url: String, client: HTTPClient) -> JackpotUpstream {
        var section = RelayConfiguration.Jackpot(queue: "unused", url: url, operatorName: "demo-operator")
        section.timeoutMs = 5_000
        return JackpotUpstream(configuration: section, secret: secret, client: client)
    }

    static func payload(_ token: String) throws -> [UInt8] {
        try #require(JackpotTicketRequest.decode(Array(BetEngineStub.request(token: token).utf8)).value)
            .canonicalBody
    }

    /// Sends one request with a client of the upstream's own configuration, then shuts it down.
    static func attempt(url: String, token: String) async throws -> UpstreamAttempt {
        let section = RelayConfiguration.Jackpot(queue: "unused", url: url, operatorName: "demo-operator")
        let client = try JackpotUpstream.makeClient(configuration: section)
        defer { Task { try? await client.shutdown() } }
        // Every server here answers, refuses or hangs up at once; the deadline only bounds a
        // broken run. 3 s ran out once under the parallel suite on 2 loaded cores.
        return await upstream(url: url, client: client).send(
            try payload(token), correlationId: token, deadline: Timestamp.nowMilliseconds() + 10_000)
    }

    @Test func aClientShutDownNeverSendsAndSaysSo() async throws {
        let stub = try await BetEngineStub(secret: Self.secret)
        let client = try JackpotUpstream.makeClient(
            configuration: .init(queue: "unused", url: stub.url, operatorName: "demo-operator"))
        try await client.shutdown()
        let attempt = await Self.upstream(url: stub.url, client: client).send(
            try Self.payload("ok-1"), correlationId: "ok-1", deadline: Timestamp.nowMilliseconds() + 3_000)
        guard case .notSent(let reason) = attempt else {
            Issue.record("expected not sent, got \(attempt)")
            return
        }
        #expect(reason == "the HTTP client is shut down")
        #expect(stub.posts.isEmpty)
        await stub.stop()
    }

    @Test func aRefusedConnectionIsNotSent() async throws {
        let stub = try await BetEngineStub(secret: Self.secret)
        let url = stub.url
        await stub.stop()
        let attempt = try await Self.attempt(url: url, token: "ok-2")
        guard case .notSent(let reason) = attempt else {
            Issue.record("expected not sent, got \(attempt)")
            return
        }
        #expect(reason.hasPrefix("could not connect"), "\(reason)")
    }

    @Test func aRefusedTLSHandshakeIsNotSent() async throws {
        // A plain HTTP server behind an https URL: the handshake fails before any request.
        let stub = try await BetEngineStub(secret: Self.secret)
        let url = stub.url.replacingOccurrences(of: "http://", with: "https://")
        let attempt = try await Self.attempt(url: url, token: "ok-3")
        guard case .notSent = attempt else {
            Issue.record("expected not sent, got \(attempt)")
            return
        }
        #expect(stub.posts.isEmpty)
        await stub.stop()
    }

    @Test func aConnectionLostAfterTheRequestLeftIsAnOutcomeUnknown() async throws {
        let server = try await HangUpServer.start()
        let attempt = try await Self.attempt(url: "http://127.0.0.1:\(server.port)/be/tickets", token: "ok-4")
        guard case .unknown(let reason) = attempt else {
            Issue.record("expected outcome unknown, got \(attempt)")
            return
        }
        #expect(reason.hasPrefix("the connection failed after the request was sent"), "\(reason)")
        #expect(server.bytesReceived > 0)
        try await server.stop()
    }

    @Test func answersAndRefusalsAreTold() async throws {
        let stub = try await BetEngineStub(secret: Self.secret)
        guard case .answered(let answer) = try await Self.attempt(url: stub.url, token: "ok-5") else {
            Issue.record("expected an answer")
            return
        }
        #expect(answer.status == 200)
        guard
            case .refused(let reason, let retryAfter) = try await Self.attempt(url: stub.url, token: "busy-5")
        else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason == "HTTP 429")
        #expect(retryAfter == .zero)
        await stub.stop()
    }
}

/// A TCP server that reads what a client sends and hangs up without answering: the request
/// certainly left, and no answer will come.
final class HangUpServer: Sendable {
    private let channel: any Channel
    private let received: Locked<Int>
    let port: Int

    var bytesReceived: Int { received.value }

    private init(channel: any Channel, received: Locked<Int>) {
        self.channel = channel
        self.received = received
        port = channel.localAddress?.port ?? 0
    }

    static func start() async throws -> HangUpServer {
        let received = Locked(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HangUp(received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return HangUpServer(channel: channel, received: received)
    }

    func stop() async throws {
        try await channel.close()
    }

    private final class HangUp: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: Locked<Int>

        init(received: Locked<Int>) {
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data).readableBytes
            received.withLock { $0 += bytes }
            context.close(promise: nil)
        }
    }
}
