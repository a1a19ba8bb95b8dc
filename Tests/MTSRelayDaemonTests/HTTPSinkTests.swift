import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import MTSRelayDaemon

/// The http sink against a real HTTP server started by the test.
@Suite("HTTP sink", .timeLimit(.minutes(2)))
struct HTTPSinkTests {
    static func record(_ id: String) -> SinkRecord {
        SinkRecord(
            outcome: .matched, operation: "ticket-placement",
            json: Array(#"{"outcome":"matched","correlationId":"\#(id)"}"#.utf8))
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("http-sink-\(UUID().uuidString.prefix(8))-\(name)").path
    }

    static func sink(
        url: String, batchSize: Int = 1, timeoutMs: Int = 3000, headers: [String: String] = [:],
        deadLetterPath: String = temporaryPath("dead.jsonl"), logs: LogCapture = LogCapture()
    ) throws -> HTTPSink {
        var configuration = RelayConfiguration.HTTP(url: url, deadLetterPath: deadLetterPath)
        configuration.batchSize = batchSize
        configuration.timeoutMs = timeoutMs
        configuration.headers = headers
        return try HTTPSink(name: "hook", configuration: configuration, logger: logs.logger)
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func twoHundredAcceptsAndTheConfiguredHeadersAreSent() async throws {
        let server = try await TestHTTPServer { _ in .init(status: 204) }
        let logs = LogCapture()
        let sink = try Self.sink(
            url: server.url, headers: ["Authorization": "Bearer s3cret-token", "X-Source": "relay"],
            logs: logs)
        try await sink.write([Self.record("a"), Self.record("b")])
        try await sink.write([Self.record("c")])
        try await sink.shutdown()
        await server.stop()

        let requests = server.requests
        #expect(requests.count == 3)
        #expect(Set(server.correlationIds) == ["a", "b", "c"])
        for request in requests {
            #expect(request.method == "POST")
            #expect(request.uri == "/results")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("Authorization") == "Bearer s3cret-token")
            #expect(request.header("X-Source") == "relay")
            // batchSize 1: one JSON object, the record's bytes as they are.
            #expect(request.body.first == UInt8(ascii: "{"))
        }
        #expect(!logs.text.contains("s3cret-token"))
    }

    @Test func serviceUnavailableAndTooManyRequestsAreRetryableWithRetryAfter() async throws {
        let answers: [TestHTTPServer.Response] = [
            .init(status: 503, headers: [("Retry-After", "7")]),
            .init(status: 429),
            .init(status: 500, headers: [("Retry-After", "soon")]),
            .init(status: 408),
        ]
        let counter = Locked(0)
        let server = try await TestHTTPServer { _ in
            counter.withLock { count in
                defer { count += 1 }
                return answers[count % answers.count]
            }
        }
        let deadLetterPath = Self.temporaryPath("dead.jsonl")
        let sink = try Self.sink(url: server.url, deadLetterPath: deadLetterPath)
        var errors: [SinkError] = []
        for _ in answers {
            do {
                try await sink.write([Self.record("x")])
                Issue.record("accepted a non-2xx answer")
            } catch let error as SinkError {
                errors.append(error)
            }
        }
        try await sink.shutdown()
        await server.stop()

        #expect(errors.allSatisfy { $0.isRetryable })
        #expect(errors.map(\.retryAfter) == [.seconds(7), nil, nil, nil])
        #expect(errors.map(\.reason) == ["answered 503", "answered 429", "answered 500", "answered 408"])
        #expect(Self.lines(deadLetterPath).isEmpty)
    }

    @Test func retryAfterIsSecondsOrAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_445_412_470)  // Wed, 21 Oct 2015 07:27:50 GMT
        #expect(HTTPOutcome.parseRetryAfter("120", now: now) == .seconds(120))
        #expect(HTTPOutcome.parseRetryAfter(" 0 ", now: now) == .zero)
        #expect(HTTPOutcome.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .seconds(10))
        #expect(HTTPOutcome.parseRetryAfter("Wednesday, 21-Oct-15 07:28:00 GMT", now: now) == .seconds(10))
        #expect(HTTPOutcome.parseRetryAfter("Wed Oct 21 07:28:00 2015", now: now) == .seconds(10))
        // In the past: now.
        #expect(HTTPOutcome.parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now: now) == .zero)
        #expect(HTTPOutcome.parseRetryAfter("86400", now: now) == HTTPOutcome.maximumRetryAfter)
        #expect(
            HTTPOutcome.parseRetryAfter("99999999999999999999999", now: now) == HTTPOutcome.maximumRetryAfter)
        #expect(HTTPOutcome.parseRetryAfter("-5", now: now) == nil)
        #expect(HTTPOutcome.parseRetryAfter("later", now: now) == nil)
    }

    @Test func statusesAreClassified() {
        for status in [200, 201, 202, 204, 299] {
            #expect(HTTPOutcome(status: status, retryAfter: nil) == .accepted)
        }
        for status in [408, 429, 500, 502, 503, 504, 599] {
            #expect(HTTPOutcome(status: status, retryAfter: nil) == .retry(after: nil))
        }
        for status in [100, 301, 302, 303, 307, 308, 400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 451] {
            #expect(HTTPOutcome(status: status, retryAfter: nil) == .refused)
        }
        #expect(HTTPOutcome(status: 503, retryAfter: "2") == .retry(after: .seconds(2)))
    }

    @Test func badRequestAppendsToTheDeadLetterFileAndReturns() async throws {
        let server = try await TestHTTPServer { request in
            request.correlationIds == ["bad"]
                ? .init(status: 400, body: "bad record:\nmissing\u{1B}field") : .init(status: 200)
        }
        let logs = LogCapture()
        let deadLetterPath = Self.temporaryPath("dead.jsonl")
        let sink = try Self.sink(
            url: server.url, headers: ["Authorization": "Bearer s3cret-token"],
            deadLetterPath: deadLetterPath,
            logs: logs)
        try await sink.write([Self.record("good")])
        try await sink.write([Self.record("bad")])
        try await sink.shutdown()
        await server.stop()

        #expect(Self.lines(deadLetterPath) == [#"{"outcome":"matched","correlationId":"bad"}"#])
        let error = try #require(logs.entries.first { $0.level == .error })
        #expect(error.metadata["status"] == "400")
        #expect(error.metadata["response"] == "bad record: missing field")
        #expect(error.metadata["deadLetterPath"] == "\(deadLetterPath)")
        #expect(!logs.text.contains("s3cret-token"))
        try? FileManager.default.removeItem(atPath: deadLetterPath)
    }

    @Test func redirectsAreNotFollowedButDeadLettered() async throws {
        let server = try await TestHTTPServer { request in
            request.uri == "/results"
                ? .init(status: 303, headers: [("Location", "/elsewhere")]) : .init(status: 200)
        }
        let deadLetterPath = Self.temporaryPath("dead.jsonl")
        let sink = try Self.sink(url: server.url, deadLetterPath: deadLetterPath)
        try await sink.write([Self.record("moved")])
        try await sink.shutdown()
        await server.stop()

        #expect(server.requests.map(\.uri) == ["/results"])
        #expect(Self.lines(deadLetterPath).count == 1)
    }

    @Test func batchesArePostedAsArraysOfAtMostBatchSize() async throws {
        let server = try await TestHTTPServer { _ in .init(status: 200, delay: .milliseconds(20)) }
        let sink = try Self.sink(url: server.url, batchSize: 4)
        // One write of 10: chunks of 4, 4 and 2.
        try await sink.write((0..<10).map { Self.record("one-\($0)") })
        #expect(server.requests.map(\.recordCount).sorted() == [2, 4, 4])
        #expect(server.requests.allSatisfy { $0.body.first == UInt8(ascii: "[") })
        #expect(Set(server.correlationIds) == Set((0..<10).map { "one-\($0)" }))

        try await sink.shutdown()
        await server.stop()
    }

    @Test func timeoutsAndConnectionErrorsAreRetryable() async throws {
        // The server would answer after 30 s: a write that ends well before that did not wait.
        let server = try await TestHTTPServer { _ in .init(status: 200, delay: .seconds(30)) }
        let slow = try Self.sink(url: server.url, timeoutMs: 200)
        let started = ContinuousClock.now
        await #expect {
            try await slow.write([Self.record("slow")])
        } throws: { error in
            // Under the parallel suites' load even the connect can take the whole 200 ms: either
            // bound is this timeout, and both are retryable.
            (error as? SinkError)?.isRetryable == true
                && ["no answer within 200 ms", "could not connect within 200 ms"].contains(
                    (error as? SinkError)?.reason ?? "")
        }
        // Generous: the machine is shared and busy, and the suite runs in parallel (5.4 s seen).
        #expect(ContinuousClock.now - started < .seconds(15))
        try await slow.shutdown()
        await server.stop()

        // Nothing listens there any more: refused (AsyncHTTPClient may retry connecting
        // until the connect timeout, which is timeoutMs).
        let refused = try Self.sink(url: server.url, timeoutMs: 1000)
        let refusedAt = ContinuousClock.now
        do {
            try await refused.write([Self.record("nobody")])
            Issue.record("accepted with nobody listening")
        } catch let error as SinkError {
            #expect(error.isRetryable)
            #expect(
                error.reason.hasPrefix("request failed")
                    || error.reason == "could not connect within 1000 ms",
                "\(error.reason)")
        }
        #expect(ContinuousClock.now - refusedAt < .seconds(15), "it ends, instead of hanging")
        try await refused.shutdown()
    }

    @Test func cancellingAQueuedWriteEndsItAtOnce() async throws {
        let server = try await TestHTTPServer { _ in .init(status: 200, delay: .seconds(10)) }
        var configuration = RelayConfiguration.HTTP(
            url: server.url, deadLetterPath: Self.temporaryPath("dead"))
        configuration.timeoutMs = 20_000
        let sink = try HTTPSink(
            name: "hook", configuration: configuration, logger: LogCapture().logger, maxRequestsInFlight: 1)
        let first = Task { try await sink.write([Self.record("in-flight")]) }
        try await waitUntil("the first request at the server") { server.requests.count == 1 }
        let queued = Task { try await sink.write([Self.record("queued")]) }
        try await waitUntil("the second write waiting for a place") { sink.waitingRequests == 1 }
        let cancelled = ContinuousClock.now
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        // Well before the request under way (10 s) ends: it did not wait its turn.
        #expect(ContinuousClock.now - cancelled < .seconds(5))
        // The request under way is not cut short; the queued record was never sent.
        try await first.value
        try await sink.shutdown()
        await server.stop()
        #expect(server.correlationIds == ["in-flight"])
    }

    @Test func aDeadLetterFileThatCannotBeWrittenIsRetryable() async throws {
        let server = try await TestHTTPServer { _ in .init(status: 422) }
        // Opens for appending; every write fails with ENOSPC.
        let sink = try Self.sink(url: server.url, deadLetterPath: "/dev/full")
        await #expect {
            try await sink.write([Self.record("nowhere")])
        } throws: { error in
            (error as? SinkError)?.isRetryable == true
                && (error as? SinkError)?.reason.contains("dead-letter") == true
        }
        try await sink.shutdown()
        await server.stop()
    }
}

/// Collects log entries for assertions.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let state = Mutex<[Entry]>([])

    var entries: [Entry] { state.withLock { $0 } }

    /// Every entry, messages and metadata, as one text.
    var text: String {
        entries.map { entry in
            "\(entry.level) \(entry.message) "
                + entry.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ entry: Entry) {
        state.withLock { $0.append(entry) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.append(
                Entry(
                    level: event.level, message: "\(event.message)",
                    metadata: merged.mapValues { "\($0)" }))
        }
    }
}
