import AMQPClient
import ArgumentParser
import Foundation
import Logging
import MTSSimulation

/// `mts-sim jackpot`: plays the platform's jackpot side and the Bet Engine, then checks what
/// mts-relay recorded.
struct JackpotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jackpot",
        abstract:
            "Publish jackpot ticket requests, play the Bet Engine, and check mts-relay's jackpot results.",
        discussion: """
            Serves POST /be/tickets on 127.0.0.1:--port (signature checked with \
            $MTS_RELAY_JACKPOT_SECRET: 403 when wrong), publishes --count requests to --queue with \
            the fates accepted, e400, e422, busy (429 then 200), unavailable (503 then 200), e500, \
            slow (answers after --timeout-ms) and invalid, then reads the relay's file sink until \
            every request has its record: matched (accepted or rejected), timeout (outcome \
            unknown) or invalid. Fails when a record is missing or wrong, or a request was POSTed \
            more often than its fate allows (never twice, except once more after 429/503). \
            Exit status: 0 as expected, 1 a mismatch, 64 a usage error (or a refusal: see \
            --force), 66 an input file that cannot be read.
            """)

    @Option(help: "Broker URL (default: $MTS_RELAY_BROKER_URL or amqp://guest:guest@127.0.0.1:5672/).")
    var url: String?

    @Option(help: "The relay's jackpot.queue.")
    var queue = "mts-relay.jackpot"

    @Option(help: "Port of the simulated Bet Engine (the relay's jackpot.url points here).")
    var port = 18089

    @Option(help: "Requests to publish.")
    var count = 200

    @Option(help: "Requests per second.")
    var rate = 20.0

    @Option(help: "Correlation id prefix (default: jp-<time>).")
    var prefix: String?

    @Option(
        name: [.customLong("results"), .customLong("check")], help: "The relay's file sink (JSON lines).")
    var results = "var/results.jsonl"

    @Option(help: "The relay's jackpot.timeoutMs (slow answers come 2 s after it).")
    var timeoutMs = 10_000

    @Option(help: "Seconds to wait for the records after the last request's deadline.")
    var waitSeconds = 20.0

    @Flag(
        help:
            "Publish even to a broker not on 127.0.0.1, or to a queue the production configuration consumes.")
    var force = false

    @Option(help: "The relay's production configuration, whose queues are refused without --force.")
    var productionConfig = ProductionGuard.defaultConfigurationPath

    func run() async throws {
        // Before anything starts: fake tickets never reach a production relay's queue.
        if !force {
            try ProductionGuard(configurationPath: productionConfig).check(
                try AMQPConnectionConfiguration(url: brokerURL), publishingTo: [queue])
        }
        guard let secret = ProcessInfo.processInfo.environment["MTS_RELAY_JACKPOT_SECRET"], !secret.isEmpty
        else {
            throw ValidationError(
                "MTS_RELAY_JACKPOT_SECRET is not set (the Bet Engine checks signatures with it)")
        }
        let prefix = prefix ?? "jp-\(Int(Date().timeIntervalSince1970))"
        let server = try await BetEngineServer(
            port: port, secret: secret, slowDelay: .milliseconds(Int64(timeoutMs) + 2000))
        print(
            "mts-sim jackpot: Bet Engine on http://127.0.0.1:\(server.port)/be/tickets, queue \(queue), prefix \(prefix)"
        )
        let ids = (0..<count).map { index in
            let fate = JackpotFate.fate(of: index)
            return (id: "\(fate.rawValue)-\(prefix)-\(index)", fate: fate)
        }
        do {
            try await publish(ids)
            let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000 + waitSeconds)
            var report = JackpotCheck(ids: ids, records: [], posts: [:])
            while true {
                report = JackpotCheck(ids: ids, records: try readRecords(prefix: prefix), posts: server.posts)
                if report.isComplete || Date() > deadline { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            for line in report.summary(refusedSignatures: server.refusedSignatures) { print(line) }
            await server.stop()
            if !report.isMatch { throw ExitCode(1) }
        } catch {
            await server.stop()
            throw error
        }
    }

    /// `--url`, else `$MTS_RELAY_BROKER_URL`, else the local broker.
    private var brokerURL: String {
        url ?? ProcessInfo.processInfo.environment["MTS_RELAY_BROKER_URL"]
            ?? "amqp://guest:guest@127.0.0.1:5672/"
    }

    private func publish(_ ids: [(id: String, fate: JackpotFate)]) async throws {
        var configuration = try AMQPConnectionConfiguration(url: brokerURL)
        configuration.connectionName = "mts-sim jackpot"
        var logger = Logger(label: "mts-sim")
        logger.logLevel = .notice
        let connection = try await AMQPConnection.connect(configuration, logger: logger)
        let channel = try await connection.openChannel(publisherConfirms: true)
        try await channel.declareQueue(queue, durable: true)
        let clock = ContinuousClock()
        let start = clock.now
        for (index, item) in ids.enumerated() {
            if rate > 0 {
                try await clock.sleep(until: start + .milliseconds(Int64(Double(index) * 1000 / rate)))
            }
            let confirmation = try await channel.publish(
                Array(JackpotMessages.request(token: item.id, fate: item.fate).utf8), routingKey: queue,
                properties: AMQPProperties(
                    contentType: "application/json", deliveryMode: .persistent, correlationID: item.id,
                    appID: "mts-sim"))
            guard confirmation == .acked else {
                throw PublishRefused(queue: queue, confirmation: confirmation)
            }
        }
        await connection.close()
    }

    private func readRecords(prefix: String) throws -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: results) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                (object["correlationId"] as? String)?.contains("-\(prefix)-") == true
            else { return nil }
            return object
        }
    }
}
