import AsyncHTTPClient
import Foundation
import Logging
import MTSCorrelation
import MTSProtocol
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The jackpot Bet Engine (`POST /be/tickets`, reference §3) as an ``ActiveUpstream``.
///
/// Each request is POSTed as its canonical body (``JackpotTicketRequest/canonicalBody``) with
/// the headers `timestamp` (Unix seconds), `operator-name` and `signature` (HMAC-SHA256 of
/// timestamp + body under the secret). The API is not idempotent, so an attempt counts as not
/// delivered only when its bytes certainly never left (``JackpotResponseCollector``): the
/// client shut down, no connection, TLS refused, no connection from the pool by the deadline.
/// Everything that happened once the request was handed to a connection is
/// ``UpstreamAttempt/unknown(reason:)``.
///
/// | answer | attempt |
/// |---|---|
/// | 200, 400, 403, 422 | ``UpstreamAttempt/answered(_:)`` |
/// | 429, 503 | ``UpstreamAttempt/refused(reason:retryAfter:)`` (Retry-After honoured) |
/// | a failure before the request left | ``UpstreamAttempt/notSent(reason:)`` |
/// | any other status, a failure after it left, no answer by the deadline | ``UpstreamAttempt/unknown(reason:)`` |
///
/// The HTTP client belongs to the process (``HTTPClientService``), not to a term: a member
/// that steps down and is elected again sends with the same client.
struct JackpotUpstream: ActiveUpstream {
    let name = "jackpot"
    let operation = "jackpot-ticket"
    let queue: String
    let timeoutMs: Int64
    let concurrency: Int
    let prefetch: Int
    let maxMessageBytes: Int
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

    /// An upstream for the `jackpot` section that sends with `client` (made by
    /// ``makeClient(configuration:)``, owned by the process); `secret` is
    /// `MTS_RELAY_JACKPOT_SECRET`.
    init(configuration: RelayConfiguration.Jackpot, secret: String, client: HTTPClient) {
        queue = configuration.queue
        timeoutMs = Int64(configuration.timeoutMs)
        concurrency = configuration.concurrency
        prefetch = configuration.prefetch
        maxMessageBytes = configuration.maxMessageBytes
        url = configuration.url
        operatorName = configuration.operatorName
        self.secret = secret
        self.client = client
    }

    /// The HTTP client for the `jackpot` section: one connection per POST in flight, no
    /// redirects, no retries of its own.
    /// - Throws: when `tls.caFile` cannot be read as PEM certificates.
    static func makeClient(configuration: RelayConfiguration.Jackpot) throws -> HTTPClient {
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
        // the pool retrying until the deadline.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        // One connection per POST in flight: a request waiting in the pool is already marked
        // sent, and would be reported as outcome unknown if the relay stopped then.
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit =
            configuration.concurrency
        clientConfiguration.maximumUsesPerConnection = nil
        return HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
    }

    func classify(
        _ body: [UInt8], correlationProperty: String?, receivedAt: Int64
    ) -> ClassifiedMessage<JackpotRequestSummary> {
        MessageClassifier(maxMessageBytes: maxMessageBytes, limitKey: "jackpot.maxMessageBytes")
            .jackpot(body, correlationProperty: correlationProperty, receivedAt: receivedAt)
    }

    func payload(of summary: JackpotRequestSummary) -> [UInt8]? { summary.canonicalBody }

    func payload(ofStored body: [UInt8]) -> [UInt8]? {
        JackpotTicketRequest.decode(body).value?.canonicalBody
    }

    func send(_ payload: [UInt8], correlationId: String, deadline: Int64) async -> UpstreamAttempt {
        let timestamp = Int64(Date().timeIntervalSince1970)
        let post: HTTPClient.Request
        do {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "timestamp", value: String(timestamp))
            headers.add(name: "operator-name", value: operatorName)
            headers.add(
                name: "signature",
                value: JackpotSignature.sign(secret: secret, timestamp: timestamp, body: payload))
            post = try HTTPClient.Request(url: url, method: .POST, headers: headers, body: .bytes(payload))
        } catch {
            return .notSent(reason: "the request could not be made (\(error))")
        }
        let remaining = max(deadline - Timestamp.nowMilliseconds(), 1)
        let collector = JackpotResponseCollector(maxBodyBytes: Self.maxAnswerBytes)
        let task = client.execute(
            request: post, delegate: collector, deadline: .now() + .milliseconds(remaining))
        let response: JackpotResponseCollector.Response
        do {
            response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch {
            guard collector.requestMayHaveLeft else { return .notSent(reason: Self.whyNotSent(error)) }
            if let error = error as? HTTPClientError, error == .deadlineExceeded {
                return .unknown(reason: "no answer by the deadline")
            }
            return .unknown(
                reason: "the connection failed after the request was sent (\(Self.describe(error)))")
        }
        let status = response.status
        if Self.finalStatuses.contains(status) {
            return .answered(
                RecordedAnswer(status: status, body: response.body, receivedAt: Timestamp.nowMilliseconds()))
        }
        if Self.retryStatuses.contains(status) {
            let retryAfter = response.retryAfter.flatMap { HTTPOutcome.parseRetryAfter($0, now: Date()) }
            return .refused(reason: "HTTP \(status)", retryAfter: retryAfter)
        }
        return .unknown(reason: "HTTP \(status)")
    }

    /// Words for a failure before the request left; the decision was already made.
    static func whyNotSent(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .alreadyShutdown: "the HTTP client is shut down"
        case let error as HTTPClientError where error == .deadlineExceeded:
            "no connection before the deadline"
        case let error as HTTPClientError where error == .getConnectionFromPoolTimeout:
            "no connection from the pool in time"
        case let error as HTTPClientError where error == .connectTimeout: "could not connect (timeout)"
        case let error as HTTPClientError where error == .tlsHandshakeTimeout: "TLS handshake timed out"
        case is NIOSSLError: "TLS refused (\(describe(error)))"
        case let error as IOError: "could not connect (\(String(cString: strerror(error.errnoCode))))"
        default: "could not connect (\(describe(error)))"
        }
    }

    private static func describe(_ error: any Error) -> String {
        String("\(error)".prefix(200))
    }

    func summarize(_ answer: RecordedAnswer) -> UpstreamAnswerSummary {
        JackpotAnswerReader.summarize(answer)
    }
}

/// A problem with the `jackpot` section found when the daemon starts (e.g. an unreadable CA file).
struct JackpotConfigurationError: Error, CustomStringConvertible {
    var description: String
}
