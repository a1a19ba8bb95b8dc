import AsyncHTTPClient
import Foundation
import Logging
import MTSCorrelation
import MTSProtocol
import NIOCore
import NIOPosix
import NIOSSL

/// The jackpot Bet Engine (`POST /be/tickets`, reference §3) as an ``ActiveUpstream``.
///
/// Each request is POSTed as its canonical body (``JackpotTicketRequest/canonicalBody``) with
/// the headers `timestamp` (Unix seconds), `operator-name` and `signature` (HMAC-SHA256 of
/// timestamp + body under the secret). The API is not idempotent, so an attempt counts as not
/// delivered only when no connection was made (connect refused or timed out, no connection
/// from the pool): everything that happened after a connection was established is
/// ``UpstreamAttempt/unknown(reason:)``.
///
/// | answer | attempt |
/// |---|---|
/// | 200, 400, 403, 422 | ``UpstreamAttempt/answered(_:)`` |
/// | 429, 503, no connection | ``UpstreamAttempt/retry(reason:retryAfter:)`` (Retry-After honoured) |
/// | any other status, a failure after connecting, no answer by the deadline | ``UpstreamAttempt/unknown(reason:)`` |
final class JackpotUpstream: ActiveUpstream {
    let name = "jackpot"
    let operation = "jackpot-ticket"
    let queue: String
    let timeoutMs: Int64
    let concurrency: Int
    let prefetch: Int
    private let url: String
    private let operatorName: String
    private let secret: String
    private let client: HTTPClient

    /// The statuses that are final answers.
    static let finalStatuses: Set<Int> = [200, 400, 403, 422]
    /// The statuses that say "not now": the ticket was not created, ask again.
    static let retryStatuses: Set<Int> = [429, 503]
    /// The most of an answer's body that is kept.
    static let maxAnswerBytes = 1 << 20

    /// An upstream for the `jackpot` section; `secret` is `MTS_RELAY_JACKPOT_SECRET`.
    /// - Throws: when `tls.caFile` cannot be read as PEM certificates.
    init(configuration: RelayConfiguration.Jackpot, secret: String) throws {
        queue = configuration.queue
        timeoutMs = Int64(configuration.timeoutMs)
        concurrency = configuration.concurrency
        prefetch = configuration.prefetch
        url = configuration.url
        operatorName = configuration.operatorName
        self.secret = secret
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw JackpotConfigurationError(
                    description: "jackpot.tls.caFile: cannot read \(caFile): \(error)")
            }
        }
        var clientConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(2)), connectionPool: .init())
        // A failed connection fails its requests at once (we retry them ourselves), instead of
        // the pool retrying until the deadline and reporting only "deadline exceeded", which
        // would not tell a request that never left from one whose answer was lost.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        // One connection per POST in flight: a request waiting in the pool is already marked
        // sent, and would be reported as outcome unknown if the relay stopped then.
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit =
            configuration.concurrency
        clientConfiguration.maximumUsesPerConnection = nil
        client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
    }

    deinit {
        client.shutdown { _ in }
    }

    func problem(with body: [UInt8]) -> String? {
        let decoded = JackpotTicketRequest.decode(body)
        return decoded.isValid ? nil : decoded.violations.map(\.description).joined(separator: "; ")
    }

    func send(_ body: [UInt8], correlationId: String, deadline: Int64) async -> UpstreamAttempt {
        guard let request = JackpotTicketRequest.decode(body).value else {
            // Checked at intake; bytes from the store are the same bytes.
            return .unknown(reason: "the stored request no longer decodes")
        }
        let payload = request.canonicalBody
        let timestamp = Int64(Date().timeIntervalSince1970)
        var post = HTTPClientRequest(url: url)
        post.method = .POST
        post.headers.add(name: "Content-Type", value: "application/json")
        post.headers.add(name: "timestamp", value: String(timestamp))
        post.headers.add(name: "operator-name", value: operatorName)
        post.headers.add(
            name: "signature",
            value: JackpotSignature.sign(secret: secret, timestamp: timestamp, body: payload))
        post.body = .bytes(payload)
        let remaining = max(deadline - Timestamp.nowMilliseconds(), 1)
        do {
            let response = try await client.execute(post, deadline: .now() + .milliseconds(remaining))
            let status = Int(response.status.code)
            var bytes: [UInt8] = []
            for try await buffer in response.body where bytes.count < Self.maxAnswerBytes {
                bytes += buffer.readableBytesView.prefix(Self.maxAnswerBytes - bytes.count)
            }
            let receivedAt = Timestamp.nowMilliseconds()
            if Self.finalStatuses.contains(status) {
                return .answered(RecordedAnswer(status: status, body: bytes, receivedAt: receivedAt))
            }
            if Self.retryStatuses.contains(status) {
                let retryAfter = response.headers.first(name: "Retry-After").flatMap {
                    HTTPOutcome.parseRetryAfter($0, now: Date())
                }
                return .retry(reason: "HTTP \(status)", retryAfter: retryAfter)
            }
            return .unknown(reason: "HTTP \(status)")
        } catch {
            if let reason = Self.failedBeforeWriting(error) { return .retry(reason: reason, retryAfter: nil) }
            if let error = error as? HTTPClientError, error == .deadlineExceeded {
                return .unknown(reason: "no answer by the deadline")
            }
            return .unknown(
                reason: "the connection failed after the request was sent (\(Self.describe(error)))")
        }
    }

    /// Why the request certainly never left, or nil when it may have: only failures to get a
    /// connection count.
    static func failedBeforeWriting(_ error: any Error) -> String? {
        if let error = error as? HTTPClientError,
            error == .connectTimeout || error == .getConnectionFromPoolTimeout
        {
            return "could not connect (\(error))"
        }
        if error is NIOConnectionError { return "could not connect (\(describe(error)))" }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "could not connect (timeout)"
        }
        // Refused or unreachable: errors only a connection attempt gets (the socket reports
        // them through SO_ERROR, so the message may say "connection reset (error set)").
        if let error = error as? IOError,
            [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode)
                || "\(error)".contains("connect(")
        {
            return "could not connect (\(describe(error)))"
        }
        return nil
    }

    private static func describe(_ error: any Error) -> String {
        String("\(error)".prefix(200))
    }

    func summarize(_ answer: RecordedAnswer) -> UpstreamAnswerSummary {
        JackpotAnswerReader.summarize(answer)
    }

    func run() async throws {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        try? await client.shutdown()
    }
}

/// A problem with the `jackpot` section found when the daemon starts (e.g. an unreadable CA file).
struct JackpotConfigurationError: Error, CustomStringConvertible {
    var description: String
}
