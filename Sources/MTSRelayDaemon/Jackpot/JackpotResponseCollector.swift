import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// Collects one POST's answer for ``JackpotUpstream``, and knows whether the request's bytes
/// ever left.
///
/// AsyncHTTPClient calls ``didSendRequestHead(task:_:)`` right after it hands the request head
/// to a connection (HTTP/1 and HTTP/2 alike). A request that failed before that call never
/// reached a socket: the client was shut down, no connection was made, TLS was refused, or the
/// pool gave none before the deadline. The Bet Engine cannot have created a ticket from it, so
/// it may be sent again. After the call, the upstream may have the request whatever the error
/// says. This is decided from the client's own progress, never from an error's text.
final class JackpotResponseCollector: HTTPClientResponseDelegate {
    struct Response: Sendable {
        var status: Int
        var retryAfter: String?
        var body: [UInt8]
    }

    private struct State {
        var headSent = false
        var status = 0
        var retryAfter: String?
        var body: [UInt8] = []
    }

    private let state = Mutex(State())
    private let maxBodyBytes: Int

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Whether the request head was handed to a connection: from then on the upstream may
    /// have the request.
    var requestMayHaveLeft: Bool { state.withLock(\.headSent) }

    func didSendRequestHead(task: HTTPClient.Task<Response>, _ head: HTTPRequestHead) {
        state.withLock { $0.headSent = true }
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock { state in
            state.status = Int(head.status.code)
            state.retryAfter = head.headers.first(name: "Retry-After")
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        let limit = maxBodyBytes
        state.withLock { state in
            let room = limit - state.body.count
            if room > 0 { state.body += buffer.readableBytesView.prefix(room) }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        state.withLock { Response(status: $0.status, retryAfter: $0.retryAfter, body: $0.body) }
    }
}
