import AMQPClient
import Foundation
import Logging
import TestSupport
import Testing

/// Runs the real `mts-relay run` as a child process against the test broker, with queues,
/// a store and a result file of its own, and publishes requests and replies to it.
final class DaemonHarness: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test that owns the harness, from one task
    // at a time; everything else is immutable.

    static var brokerURL: String {
        ProcessInfo.processInfo.environment["MTS_RELAY_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/"
    }

    /// The broker's TLS listener (`MTS_RELAY_AMQPS_URL`), as in AMQPClientTests' `TestBroker`.
    static var tlsBrokerURL: String {
        ProcessInfo.processInfo.environment["MTS_RELAY_AMQPS_URL"] ?? "amqps://guest:guest@localhost:5671/"
    }

    /// A file of the test certificates (`scripts/make-test-certs.sh`): `MTS_RELAY_TLS_DIR`, by
    /// default the repository's `var/tls`.
    static func tlsFile(_ name: String) -> String {
        let directory =
            ProcessInfo.processInfo.environment["MTS_RELAY_TLS_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("var/tls").path
        return "\(directory)/\(name)"
    }

    /// The `broker.tls` section (indented for `brokerYAML`) trusting `caFile`, with the client
    /// certificate when `clientCertificate` is set.
    static func tlsSection(caFile: String = "ca.pem", clientCertificate: Bool = false) -> String {
        var lines = ["  tls:", "    caFile: \(tlsFile(caFile))"]
        if clientCertificate {
            lines += [
                "    certificateFile: \(tlsFile("client.pem"))", "    keyFile: \(tlsFile("client.key"))",
            ]
        }
        return lines.joined(separator: "\n")
    }

    let directory: URL
    let prefix: String
    var intakeQueue: String { "\(prefix).intake" }
    var replyQueue: String { "\(prefix).replies" }
    var jackpotQueue: String { "\(prefix).jackpot" }
    var deadLetterExchange: String { "\(prefix).dlx" }
    var deadLetterQueue: String { "\(prefix).dlq" }
    var connectionName: String { prefix }
    var resultsPath: String { directory.appendingPathComponent("results.jsonl").path }
    var logPath: String { directory.appendingPathComponent("daemon.log").path }
    var configPath: String { directory.appendingPathComponent("mts-relay.yaml").path }
    private var process: Process?
    private var publisher: AMQPConnection?
    private var publishChannel: AMQPChannel?

    /// - Parameters:
    ///   - replies, timeouts, engine: more keys of those sections, indented by two spaces.
    ///   - extraSinks: more entries of `sinks:` (each starting `  - type: ...`), after the
    ///     file sink every harness has.
    ///   - extraYAML: more top-level sections (e.g. `metrics:`).
    ///   - brokerURL: the daemon's `broker.url` (by default the test broker's plain one);
    ///     `brokerYAML`: more keys of `broker:` (e.g. `tlsSection()`).
    ///   - store: more keys of `store:` (e.g. `url:`).
    ///   - sharingQueuesWith: another harness whose queues this one's daemon consumes too (a
    ///     second member of a group); its files go in a directory of its own, inside the other's.
    init(
        name: String, brokerURL: String = DaemonHarness.brokerURL, brokerYAML: String = "",
        replies: String = "", timeouts: String = "", engine: String = "",
        extraSinks: String = "",
        extraYAML: String = "", logFormat: String = "logfmt", unmatchedGraceMs: Int = 1500,
        shutdownSeconds: Int = 10, store: String = "", sharingQueuesWith other: DaemonHarness? = nil
    ) throws {
        prefix = other?.prefix ?? "relay-test.\(name).\(UUID().uuidString.prefix(6))"
        directory =
            other?.directory.appendingPathComponent(name)
            ?? FileManager.default.temporaryDirectory.appendingPathComponent(prefix)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let yaml = """
            broker:
              url: \(brokerURL)
              heartbeatSeconds: 5
              connectionName: \(connectionName)
            \(brokerYAML)
            intake:
              queue: \(intakeQueue)
              prefetch: 200
            replies:
              queues: [\(replyQueue)]
              prefetch: 200
              unmatchedGraceMs: \(unmatchedGraceMs)
            \(replies)
            deadLetter:
              exchange: \(deadLetterExchange)
              queue: \(deadLetterQueue)
            store:
              path: \(directory.appendingPathComponent("pending.sqlite").path)
            \(store)
            timeouts:
              default: 120000
              ticket-placement: 120000
            \(timeouts)
            engine:
              clockSkewToleranceMs: 0
            \(engine)
            sinks:
              - type: file
                name: results
                path: \(resultsPath)
            \(extraSinks)
            \(extraYAML)
            log:
              format: \(logFormat)
              level: info
            shutdown:
              timeoutSeconds: \(shutdownSeconds)
            """
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Edits the written configuration (for values that depend on the prefix).
    func replaceInConfig(_ placeholder: String, with value: String) throws {
        let text = try String(contentsOfFile: configPath, encoding: .utf8)
        try text.replacingOccurrences(of: placeholder, with: value).write(
            toFile: configPath, atomically: true, encoding: .utf8)
    }

    // MARK: The daemon

    func start(environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = try CheckConfigCommandTests.executable()
        process.arguments = ["run", "--config", configPath]
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        readyMarksAtStart = readyMarks
        try process.run()
        self.process = process
    }

    /// Waits until the daemon logged that its consumers are up (once more than before).
    func waitUntilReady(timeout: Duration = .seconds(20)) async throws {
        do {
            try await waitUntil("the daemon's readiness", timeout: timeout, every: .milliseconds(50)) {
                guard readyMarks <= readyMarksAtStart else { return true }
                guard process?.isRunning == true else {
                    throw HarnessError("the daemon exited with \(process?.terminationStatus ?? -1):\n\(log)")
                }
                return false
            }
        } catch let error as ConditionTimeout {
            throw HarnessError("\(error):\n\(log)")
        }
    }

    /// Waits until the log has `text` at least `count` times.
    func waitForLog(_ text: String, count: Int = 1, timeout: Duration = .seconds(20)) async throws {
        do {
            try await waitUntil("'\(text)' × \(count) in the log", timeout: timeout, every: .milliseconds(50))
            {
                logCount(text) >= count
            }
        } catch let error as ConditionTimeout {
            throw HarnessError("\(error):\n\(log.suffix(3000))")
        }
    }

    /// How many times the log has `text`.
    func logCount(_ text: String) -> Int { log.components(separatedBy: text).count - 1 }

    private var readyMarksAtStart = 0
    private var readyMarks: Int { logCount("mts-relay is ready") }

    func startAndWait() async throws {
        try start()
        try await waitUntilReady()
    }

    /// Sends a signal and waits for the exit; returns the exit status and how long it took.
    func stop(
        signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)
    ) async throws -> (status: Int32, took: Duration) {
        guard let process else { throw HarnessError("not running") }
        let start = ContinuousClock.now
        kill(process.processIdentifier, signal)
        try await waitUntil("the daemon's exit", timeout: timeout) { !process.isRunning }
        self.process = nil
        return (process.terminationStatus, ContinuousClock.now - start)
    }

    var isRunning: Bool { process?.isRunning == true }

    /// Whether the daemon is stopped by a signal (SIGSTOP): its state in `/proc` is `T`.
    var isStopped: Bool {
        guard let pid = process?.processIdentifier,
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ")?.upperBound
        else { return false }
        return stat[afterName...].first == "T"
    }

    /// Sends a signal without waiting (SIGSTOP and SIGCONT, to stall the daemon).
    func send(signal: Int32) throws {
        guard let process else { throw HarnessError("not running") }
        kill(process.processIdentifier, signal)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    // MARK: Results

    func results() throws -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: resultsPath, encoding: .utf8) else { return [] }
        // A line still being written has no newline yet: only complete lines count.
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        return try lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else {
                throw HarnessError("a result line is not an object: \(line)")
            }
            return object
        }
    }

    /// Polls the result file until `done` holds.
    func waitForResults(
        timeout: Duration = .seconds(30), until done: ([[String: Any]]) -> Bool
    ) async throws -> [[String: Any]] {
        var records: [[String: Any]] = []
        do {
            try await waitUntil("the results", timeout: timeout, every: .milliseconds(100)) {
                records = try results()
                return done(records)
            }
        } catch is ConditionTimeout {
            throw HarnessError(
                "results incomplete after \(timeout): \(records.count) records\n\(log.suffix(3000))")
        }
        return records
    }

    // MARK: Publishing

    /// A connection of the harness's own to the test broker, named `<prefix>-<role>`.
    private func connect(as role: String) async throws -> AMQPConnection {
        var configuration = try AMQPConnectionConfiguration(url: Self.brokerURL)
        configuration.connectionName = "\(prefix)-\(role)"
        var logger = Logger(label: "harness")
        logger.logLevel = .critical
        return try await AMQPConnection.connect(configuration, logger: logger)
    }

    private func channel() async throws -> AMQPChannel {
        if let publishChannel, publishChannel.connection.isOpen { return publishChannel }
        let connection = try await connect(as: "publisher")
        let channel = try await connection.openChannel(publisherConfirms: true)
        // Declared here too, so messages published before the daemon's first start are kept.
        try await channel.declareQueue(intakeQueue, durable: true)
        try await channel.declareQueue(replyQueue, durable: true)
        try await channel.declareQueue(jackpotQueue, durable: true)
        publisher = connection
        publishChannel = channel
        return channel
    }

    func publish(_ body: String, to queue: String, correlationID: String?) async throws {
        try await publish(Array(body.utf8), to: queue, correlationID: correlationID)
    }

    func publish(_ body: [UInt8], to queue: String, correlationID: String?) async throws {
        try await publish(
            body, to: queue,
            properties: AMQPProperties(
                contentType: "application/json", deliveryMode: .persistent, correlationID: correlationID))
    }

    /// Publishes with exactly these properties (the hostile-input fuzz leaves some out).
    func publish(_ body: [UInt8], to queue: String, properties: AMQPProperties) async throws {
        let confirmation = try await channel().publish(body, routingKey: queue, properties: properties)
        guard confirmation == .acked else { throw HarnessError("publish to \(queue) was \(confirmation)") }
    }

    /// Publishes many messages concurrently, each confirmed.
    func publishAll(_ messages: [(body: String, queue: String, correlationID: String?)]) async throws {
        let channel = try await channel()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, message) in messages.enumerated() {
                if index >= 500 { try await group.next() }
                group.addTask {
                    let confirmation = try await channel.publish(
                        Array(message.body.utf8), routingKey: message.queue,
                        properties: AMQPProperties(
                            deliveryMode: .persistent, correlationID: message.correlationID))
                    guard confirmation == .acked else { throw HarnessError("publish was \(confirmation)") }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The messages in the dead-letter queue, acknowledged.
    func deadLetters(count: Int, timeout: Duration = .seconds(10)) async throws -> [AMQPDelivery] {
        try await drain(deadLetterQueue, count: count, timeout: timeout)
    }

    /// Declares a queue bound to `exchange` (a durable topic exchange, declared too).
    func bindQueue(_ queue: String, to exchange: String, routingKey: String = "#") async throws {
        let channel = try await channel()
        try await channel.declareExchange(exchange, type: "topic", durable: true)
        try await channel.declareQueue(queue, durable: false)
        try await channel.bindQueue(queue, exchange: exchange, routingKey: routingKey)
    }

    /// Up to `count` messages of a queue, acknowledged.
    func drain(_ queue: String, count: Int, timeout: Duration = .seconds(10)) async throws -> [AMQPDelivery] {
        _ = try await channel()
        let consumeChannel = try await publisher!.openChannel()
        try await consumeChannel.setPrefetch(500)
        var iterator = try await consumeChannel.consume(queue: queue).makeAsyncIterator()
        var letters: [AMQPDelivery] = []
        let deadline = ContinuousClock.now + timeout
        while letters.count < count, ContinuousClock.now < deadline {
            guard let delivery = try await iterator.next() else { break }
            delivery.ack()
            letters.append(delivery)
        }
        try await consumeChannel.close()
        return letters
    }

    /// Kills a daemon still running, so that a test that failed before `tearDown` leaves no
    /// daemon behind. Its queues stay; the broker deletes them after an hour unused (the
    /// policy scripts/start-rabbitmq.sh sets on the tests' queue names).
    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Kills a daemon still running; deletes the queues and the dead-letter exchange, over a
    /// connection of its own (the publisher's may never have opened, or died with a broker
    /// restart), and the directory.
    func tearDown() async {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        await publisher?.close()
        publisher = nil
        publishChannel = nil
        if let connection = try? await connect(as: "cleanup") {
            if let cleanup = try? await connection.openChannel() {
                for queue in [intakeQueue, replyQueue, deadLetterQueue, jackpotQueue] {
                    _ = try? await cleanup.deleteQueue(queue)
                }
                try? await cleanup.deleteExchange(deadLetterExchange)
            }
            await connection.close()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

extension DaemonHarness {
    /// Closes every broker connection of this harness's daemon (its names start with the
    /// harness prefix), as `rabbitmqctl close_all_connections` would, without touching the
    /// connections of other tests. Returns how many it closed.
    @discardableResult
    func closeDaemonConnections(roles: [String] = ["replies", "intake"]) async throws -> Int {
        let listing = try await RabbitMQControl.run([
            "list_connections", "-q", "--no-table-headers", "pid", "client_properties",
        ])
        var closed = 0
        for line in listing.split(separator: "\n")
        where roles.contains(where: { line.contains("\"\(connectionName) \($0)\"") }) {
            guard let pid = line.split(separator: "\t").first else { continue }
            try await RabbitMQControl.run([
                "close_connection", String(pid), "test: closed from the broker side",
            ])
            closed += 1
        }
        return closed
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// MTS messages for the daemon tests, shaped like the seeds.
enum MTSMessages {
    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func ticketRequest(_ correlationId: String, timestamp: Int64 = nowMilliseconds()) -> String {
        """
        {"operatorId":9985,"content":{"type":"ticket","ticketId":"T-\(correlationId)","bets":[{"betId":"Bet_1","stake":[{"type":"cash","currency":"EUR","amount":"10.00","mode":"total"}]}],"context":{"channel":{"type":"internet","lang":"EN"},"limitId":4268}},"correlationId":"\(correlationId)","timestampUtc":\(timestamp),"operation":"ticket-placement","version":"3.0"}
        """
    }

    static func ticketReply(
        _ correlationId: String, timestamp: Int64 = nowMilliseconds(), status: String = "accepted",
        code: Int = 0
    )
        -> String
    {
        """
        {"content":{"type":"ticket-reply","signature":"gOxOcWAjiPn8hEjyPlzDYu0B7aNA85fOeAB8m1j+Wm0=","status":"\(status)","ticketId":"T-\(correlationId)","code":\(code),"message":"Transaction processed","exchangeRate":[{"fromCurrency":"USD","toCurrency":"EUR","rate":"1.07326"}],"x-vendor-extra":{"kept":true}},"correlationId":"\(correlationId)","timestampUtc":\(timestamp),"operation":"ticket-placement","version":"3.0"}
        """
    }

    static func cancelRequest(_ correlationId: String, timestamp: Int64 = nowMilliseconds()) -> String {
        """
        {"operatorId":9985,"content":{"type":"cancel","cancellationId":"C-\(correlationId)","ticketId":"T-\(correlationId)","details":{"type":"ticket","code":102}},"correlationId":"\(correlationId)","timestampUtc":\(timestamp),"operation":"ticket-cancel","version":"3.0"}
        """
    }

    static func cancelReply(_ correlationId: String, timestamp: Int64 = nowMilliseconds()) -> String {
        """
        {"content":{"type":"cancel-reply","cancellationId":"C-\(correlationId)","signature":"ouHgh3Yn+1p9C0Ms3brurfLBlLTcweMdP0vM2HI+Lx8=","status":"rejected","ticketId":"T-\(correlationId)","code":-2013,"message":"Ticket time for cancellation expired"},"correlationId":"\(correlationId)","timestampUtc":\(timestamp),"operation":"ticket-cancel","version":"3.0"}
        """
    }
}
