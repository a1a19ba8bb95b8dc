import AsyncHTTPClient
import DequeModule
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// POSTs records as JSON to a URL with AsyncHTTPClient: one object per request when
/// `batchSize` is 1, otherwise a JSON array of up to `batchSize` records.
///
/// Each `write` makes one attempt and classifies it (`HTTPOutcome`); retrying is
/// `SinkRoute`'s job. A 2xx accepts. A 5xx, 429, 408, a timeout or a connection error throws
/// a retryable `SinkError` carrying the server's Retry-After. Any other status (3xx, 4xx) is
/// a permanent refusal: the records are appended to the dead-letter file (written and
/// fsynced), an error is logged, and `write` returns, so the message is acknowledged with its
/// record kept. When the dead-letter file cannot take them, `write` throws a retryable error:
/// a record is never accepted unless it is kept somewhere.
///
/// Concurrent writes are merged (group commit): at most `maxRequestsInFlight` requests run at
/// once, and the records that wait meanwhile go out together, up to `batchSize` per request.
/// The pipeline writes one record per result, so this is what makes `batchSize` batch.
/// A merged request succeeds or fails for all its records together.
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
    private let state = Mutex(State())

    /// A chunk of records of one `write`, waiting for its request's outcome.
    private struct Item {
        var id: UInt64
        var records: [SinkRecord]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: Deque<Item> = []
        var inFlight = 0
        var nextID: UInt64 = 0
    }

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
            try await submit(records)
            return
        }
        // Chunks are independent requests; if one fails, the retry posts the whole call again
        // (the accepted chunks too: at least once, as after any redelivery).
        var chunks: [[SinkRecord]] = []
        for start in stride(from: 0, to: records.count, by: size) {
            chunks.append(Array(records[start..<min(start + size, records.count)]))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in chunks {
                group.addTask { try await self.submit(chunk) }
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

    // MARK: Merging concurrent writes

    /// Queues one chunk and waits for the outcome of the request that carries it.
    ///
    /// Cancelling the caller takes a chunk that is still queued out of the queue at once
    /// (`CancellationError`), so a shutdown is not held up by a backlog behind a slow server;
    /// a chunk whose request is under way waits for it (at most `timeoutMs`).
    private func submit(_ records: [SinkRecord]) async throws {
        let id = state.withLock { state in
            defer { state.nextID &+= 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<Void, any Error>) in
                // Checked under the lock: either `onCancel` already ran and this sees the
                // flag, or it runs later and finds the item queued.
                let batches = state.withLock { state -> [[Item]]? in
                    guard !Task.isCancelled else { return nil }
                    state.pending.append(Item(id: id, records: records, continuation: continuation))
                    return takeBatches(&state)
                }
                guard let batches else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                for batch in batches { start(batch) }
            }
        } onCancel: {
            let item = state.withLock { state -> Item? in
                guard let index = state.pending.firstIndex(where: { $0.id == id }) else { return nil }
                return state.pending.remove(at: index)
            }
            item?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Under the lock: the requests to start now, each up to `batchSize` records of whole items.
    private func takeBatches(_ state: inout State) -> [[Item]] {
        var batches: [[Item]] = []
        let size = max(1, configuration.batchSize)
        while state.inFlight < maxRequestsInFlight, let first = state.pending.popFirst() {
            var batch = [first]
            var count = first.records.count
            while let next = state.pending.first, count + next.records.count <= size {
                batch.append(state.pending.removeFirst())
                count += next.records.count
            }
            state.inFlight += 1
            batches.append(batch)
        }
        return batches
    }

    /// Posts a batch in a task of its own (bounded by `maxRequestsInFlight`), resumes its
    /// writers, then starts what queued up meanwhile.
    private func start(_ batch: [Item]) {
        Task {
            let records = batch.flatMap(\.records)
            let result: Result<Void, SinkError>
            do {
                try await post(records)
                result = .success(())
            } catch let error as SinkError {
                result = .failure(error)
            } catch {
                result = .failure(SinkError(sink: name, reason: "\(error)", isRetryable: true))
            }
            for item in batch { item.continuation.resume(with: result) }
            let next = state.withLock { state in
                state.inFlight -= 1
                return takeBatches(&state)
            }
            for batch in next { start(batch) }
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

    /// One POST of `records`; returns when they are accepted or dead-lettered.
    private func post(_ records: [SinkRecord]) async throws {
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        for (header, value) in headers { request.headers.add(name: header, value: value) }
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
