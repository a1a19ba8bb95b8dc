import AsyncHTTPClient
import Logging
import NIOCore
import NIOSSL

/// POSTs records as JSON to a URL with AsyncHTTPClient: one object per request when
/// `batchSize` is 1, otherwise a JSON array of up to `batchSize` records.
///
/// Each `write` makes one attempt and classifies it (`HTTPOutcome`); retrying is
/// `SinkRoute`'s job. A 2xx accepts. A 5xx, 429, 408, a timeout or a connection error throws
/// a retryable `SinkError` carrying the server's Retry-After. Any other status (3xx, 4xx) is
/// a permanent refusal: the records are appended to the dead-letter file (written and
/// fsynced), an error is logged, and `write` returns, so the sink's cursor moves past them with
/// the records kept. When the dead-letter file cannot take them, `write` throws a retryable error:
/// a record is never accepted unless it is kept somewhere.
///
/// A write's records go out in requests of up to `batchSize` records; its reader
/// (``SinkReader``) hands over whole batches, one at a time, so nothing is merged here. At most
/// `maxRequestsInFlight` requests run at once across all writes; a write waiting for a place
/// ends at once when its task is cancelled.
///
/// Redirects are not followed: AsyncHTTPClient would turn a POST into a GET on 301, 302 and
/// 303, and the record would be "accepted" without reaching anyone. A 3xx is refused.
/// Header values are never logged (they hold tokens).
public final class HTTPSink: ResultSink {
    public let name: String
    public let configuration: RelayConfiguration.HTTP
    /// How many requests may be under way at once.
    public let maxRequestsInFlight: Int
    private let client: HTTPClient
    private let deadLetters: FileSink
    private let logger: Logger
    private let headers: [(String, String)]
    /// Places for requests under way (`maxRequestsInFlight`).
    private let requestPlaces: AsyncLimiter

    /// Writes waiting for a place (tests wait on it instead of sleeping).
    var waitingRequests: Int { requestPlaces.waiting }

    /// The most of a refusing response's body that is read and logged.
    static let bodyExcerptBytes = 512

    /// Creates the client and opens (creating) the dead-letter file.
    ///
    /// With `configuration.caFile`, an https endpoint's certificate must chain to those CAs
    /// (instead of the system's), and its name must match the URL's host. A handshake that
    /// fails verification is a connection error: logged, and the records retried.
    /// - Throws: `SinkError` when the dead-letter file cannot be opened or the CA file read.
    public init(
        name: String, configuration: RelayConfiguration.HTTP, logger: Logger, maxRequestsInFlight: Int = 8
    ) throws {
        self.name = name
        self.configuration = configuration
        self.logger = logger
        self.maxRequestsInFlight = max(1, maxRequestsInFlight)
        self.requestPlaces = AsyncLimiter(limit: max(1, maxRequestsInFlight))
        self.deadLetters = try FileSink(name: "\(name).dead-letter", path: configuration.deadLetterPath)
        var headers = configuration.headers.filter { $0.key.lowercased() != "content-type" }.map {
            ($0.key, $0.value)
        }
        headers.append(("Content-Type", "application/json"))
        self.headers = headers
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            // The per-request deadline (timeoutMs) bounds the whole exchange.
            timeout: .init(connect: .milliseconds(Int64(configuration.timeoutMs))),
            connectionPool: .init())
        if let caFile = configuration.caFile {
            var tls = TLSConfiguration.makeClientConfiguration()
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw SinkError(
                    sink: name, reason: "cannot read the CA file \(caFile) (tls.caFile): \(error)",
                    isRetryable: false)
            }
            clientConfiguration.tlsConfiguration = tls
        }
        self.client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
    }

    deinit {
        // Normally `run()` or `shutdown()` already did this; the client must not be released
        // up and running. Calling it twice only reports "already shut down" to the callback.
        client.shutdown { _ in }
    }

    public func write(_ records: [SinkRecord]) async throws {
        guard !records.isEmpty else { return }
        let size = max(1, configuration.batchSize)
        if records.count <= size {
            try await postWhenPlaced(records)
            return
        }
        // Chunks are independent requests; if one fails, the retry posts the whole call again
        // (the accepted chunks too: at least once, as after any redelivery).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: records.count, by: size) {
                let chunk = Array(records[start..<min(start + size, records.count)])
                group.addTask { try await self.postWhenPlaced(chunk) }
            }
            var failure: SinkError?
            while let result = await group.nextResult() {
                guard case .failure(let error) = result else { continue }
                if error is CancellationError { throw error }
                let sinkError =
                    error as? SinkError ?? SinkError(sink: name, reason: "\(error)", isRetryable: true)
                // Keep the longest Retry-After of the failed chunks.
                if failure == nil || (sinkError.retryAfter ?? .zero) > (failure?.retryAfter ?? .zero) {
                    failure = sinkError
                }
            }
            if let failure { throw failure }
        }
    }

    /// Waits for a place among the requests under way (cancellable), then posts.
    private func postWhenPlaced(_ records: [SinkRecord]) async throws {
        try await requestPlaces.acquireUnlessCancelled()
        defer { requestPlaces.release() }
        try await post(records)
    }

    /// Waits until cancelled, then shuts the HTTP client down.
    public func run() async throws {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        try await shutdown()
    }

    /// Shuts the HTTP client down; requests under way fail. Called by `run()` on cancellation.
    public func shutdown() async throws {
        do {
            try await client.shutdown()
        } catch let error as HTTPClientError where error == .alreadyShutdown {
            return
        }
    }

    // MARK: One request

    /// The request body: the record itself, or a JSON array of the records when batching.
    static func body(of records: [SinkRecord], batchSize: Int) -> [UInt8] {
        if batchSize == 1, records.count == 1 { return records[0].json }
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        bytes.reserveCapacity(records.reduce(2) { $0 + $1.json.count + 1 })
        for (index, record) in records.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes += record.json
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }

    /// What a receiver drops repeats by: `<log>:<seq>` for one record, `<log>:<first>-<last>`
    /// for a batch (the same records on every repeat); nil for records outside a log.
    static func idempotencyKey(of records: [SinkRecord]) -> String? {
        guard let first = records.first?.key else { return nil }
        guard records.count > 1, let last = records.last?.key, let separator = last.lastIndex(of: ":") else {
            return first
        }
        return first + "-" + last[last.index(after: separator)...]
    }

    /// One POST of `records`; returns when they are accepted or dead-lettered.
    private func post(_ records: [SinkRecord]) async throws {
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        for (header, value) in headers { request.headers.add(name: header, value: value) }
        if let key = Self.idempotencyKey(of: records) {
            request.headers.replaceOrAdd(name: "Idempotency-Key", value: key)
        }
        let body = Self.body(of: records, batchSize: configuration.batchSize)
        request.body = .bytes(body)
        let deadline = NIODeadline.now() + .milliseconds(Int64(configuration.timeoutMs))

        let status: Int
        let retryAfter: String?
        let excerpt: [UInt8]
        do {
            let response = try await client.execute(request, deadline: deadline)
            status = Int(response.status.code)
            retryAfter = response.headers.first(name: "Retry-After")
            excerpt = try await Self.excerpt(of: response.body, limit: Self.bodyExcerptBytes)
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw SinkError(
                sink: name, reason: "could not connect within \(configuration.timeoutMs) ms",
                isRetryable: true)
        } catch let error as HTTPClientError
            where [.deadlineExceeded, .readTimeout, .writeTimeout].contains(error)
        {
            throw SinkError(
                sink: name, reason: "no answer within \(configuration.timeoutMs) ms", isRetryable: true)
        } catch {
            throw SinkError(sink: name, reason: "request failed: \(error)", isRetryable: true)
        }

        switch HTTPOutcome(status: status, retryAfter: retryAfter) {
        case .accepted:
            return
        case .retry(let delay):
            throw SinkError(sink: name, reason: "answered \(status)", isRetryable: true, retryAfter: delay)
        case .refused:
            do {
                try await deadLetters.write(records)
            } catch {
                throw SinkError(
                    sink: name,
                    reason:
                        "answered \(status), and appending to the dead-letter file \(configuration.deadLetterPath) failed: \(error)",
                    isRetryable: true)
            }
            logger.error(
                "HTTP sink refused records for good; appended to its dead-letter file",
                metadata: [
                    "sink": "\(name)", "status": "\(status)", "records": "\(records.count)",
                    "url": "\(HTTPURL.masked(configuration.url))",
                    "deadLetterPath": "\(configuration.deadLetterPath)",
                    "response": "\(Self.printable(excerpt))",
                ])
        }
    }

    /// The first `limit` bytes of a body; the rest is read and dropped, so the connection is
    /// reused.
    private static func excerpt(of body: HTTPClientResponse.Body, limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in body where bytes.count < limit {
            bytes += buffer.readableBytesView.prefix(limit - bytes.count)
        }
        return bytes
    }

    /// A body excerpt for a log line: UTF-8, with control characters replaced by spaces.
    static func printable(_ bytes: [UInt8]) -> String {
        let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control ? " " : scalar
        }
        return String(String.UnicodeScalarView(scalars))
    }
}
