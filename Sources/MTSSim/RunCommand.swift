import AMQPClient
import ArgumentParser
import Foundation
import Logging
import MTSCorrelation
import MTSSimulation

/// `mts-sim run`: plays the platform and MTS, writes the manifest, prints the summary.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Publish requests (as the platform) and replies (as MTS) for mts-relay.",
        discussion: """
            Every correlation id gets one fate: normal (matched), reply-first (matched), drop \
            (timeout), late (timeout, late), duplicate (matched, duplicate), unsolicited \
            (unmatched) or malformed (invalid, then matched: a broken reply, then the valid one). \
            Ratios not given are 0; normal takes the rest. drop and late go only to kinds whose \
            --timeouts entry is at most --max-timeout-wait-ms. The manifest lists every id with \
            the outcomes the relay owes; compare with `mts-sim check`. Replies owed in time are \
            stamped at most half the timeout after their request; the relay judges them by \
            those stamps (event time), so they are owed `matched` however late it reads them.
            """)

    @Option(help: "Broker URL (default: $MTS_RELAY_BROKER_URL or amqp://guest:guest@127.0.0.1:5672/).")
    var url: String?

    @Option(help: "The relay's intake queue (the platform's copies of its requests).")
    var intake = "mts-relay.intake"

    @Option(
        parsing: .upToNextOption,
        help: """
            Reply queues: plain names take replies round-robin by exchange; kind=queue routes a \
            kind (comma-separated or repeated).
            """)
    var replies: [String] = ["mts-relay.replies"]

    @Option(help: "Correlation ids (exchanges) to plan. With --duration, whichever ends first.")
    var count: Int?

    @Option(help: "Seconds to keep sending. With --count, whichever ends first.")
    var duration: Double?

    @Option(help: "Exchanges per second; 0 = as fast as the broker confirms.")
    var rate: Double = 0

    @Option(
        help: """
            Request kinds and weights: all, or e.g. ticket-placement=5,ticket-placement-inform=1,\
            ticket-cancel=2,casino-sessions-inform=1.
            """)
    var mix = "all"

    @Option(help: "Share of answered requests accepted; the rest are rejected (with codes).")
    var acceptRatio = 0.9

    @Option(help: "Share of answered requests answered with an error-reply (matched too).")
    var errorReplies = 0.0

    @Option(help: "Reply latency in ms: 20 (fixed), 5..50 (uniform) or exp:30 (exponential mean).")
    var latencyMs = "5..50"

    @Option(help: "Share of ids whose request gets no reply (timeout).")
    var drop = 0.0

    @Option(help: "Share of ids answered after the deadline (timeout, late).")
    var late = 0.0

    @Option(help: "Share of ids answered twice with the same reply (matched, duplicate).")
    var duplicate = 0.0

    @Option(help: "Share of ids with a reply and no request (unmatched).")
    var unsolicited = 0.0

    @Option(help: "Share of ids answered with a malformed reply, then a valid one (invalid, matched).")
    var malformed = 0.0

    @Option(help: "Share of ids whose reply is published before the request (matched).")
    var replyFirst = 0.0

    @Option(help: "Share of malformed replies sent with no correlation id at all (counted, not attributed).")
    var anonymousMalformed = 0.0

    @Option(
        help: """
            The relay's timeouts in ms, merged over its defaults (default=30000, \
            ticket-placement=17000, ticket-cancel=600000), e.g. ticket-cancel=2000.
            """)
    var timeouts = ""

    @Option(help: "A late reply goes out this many ms after the request's deadline.")
    var lateMarginMs: Int64 = 500

    @Option(help: "drop and late go only to kinds whose timeout is at most this (ms).")
    var maxTimeoutWaitMs: Int64 = 20_000

    @Option(help: "The relay's replies.unmatchedGraceMs (for due times in the manifest).")
    var unmatchedGraceMs: Int64 = 2000

    @Option(help: "Seed of the scenario (default: random, printed).")
    var seed: UInt64?

    @Option(help: "Prefix of every correlation id (default: sim-<random hex>).")
    var prefix: String?

    @Option(help: "Write the expected outcomes per correlation id here (JSON lines).")
    var manifest: String?

    @Option(
        help: """
            After the run, check this relay file sink against the run (as `mts-sim check`): \
            exit 1 on a mismatch.
            """)
    var check: String?

    @Option(help: "With --check: wait this long past the last due result for the relay.")
    var checkWaitSeconds: Double = 30

    @Option(help: "Unconfirmed publishes at most, requests and replies together.")
    var inFlight = 4096

    @Flag(inversion: .prefixedNo, help: "Declare missing queues (durable) before publishing.")
    var declare = true

    @Flag(
        help: "Publish even to a broker not on 127.0.0.1, or to queues the production configuration consumes."
    )
    var force = false

    @Option(help: "The relay's production configuration, whose queues are refused without --force.")
    var productionConfig = ProductionGuard.defaultConfigurationPath

    func validate() throws {
        guard count != nil || duration != nil else {
            throw ValidationError("give --count, --duration or both")
        }
        if let count, count < 1 { throw ValidationError("--count: 1 or more") }
        if let duration, !(duration > 0) { throw ValidationError("--duration: more than 0 seconds") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate: 0 or more") }
        guard inFlight >= 1 else { throw ValidationError("--in-flight: 1 or more") }
        _ = try scenario()
    }

    func scenario() throws -> ScenarioConfiguration {
        let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
        var scenario = ScenarioConfiguration(
            runPrefix: prefix ?? "sim-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))", seed: seed)
        do {
            scenario.mix = try KindMix(parsing: mix)
            scenario.timeouts = try OperationTimeouts(parsing: timeouts)
        } catch {
            throw ValidationError(error.description)
        }
        guard let latency = LatencyDistribution(parsing: latencyMs) else {
            throw ValidationError("--latency-ms: '\(latencyMs)' is not 20, 5..50 or exp:30")
        }
        scenario.latency = latency
        scenario.fates = FateRatios(
            drop: drop, late: late, duplicate: duplicate, unsolicited: unsolicited, malformed: malformed,
            replyFirst: replyFirst)
        scenario.acceptRatio = acceptRatio
        scenario.errorReplyRatio = errorReplies
        scenario.anonymousMalformedRatio = anonymousMalformed
        scenario.lateMarginMilliseconds = lateMarginMs
        scenario.maxTimeoutWaitMilliseconds = maxTimeoutWaitMs
        do {
            try scenario.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return scenario
    }

    func run() async throws {
        let scenario = try scenario()
        let routing: ReplyRouting
        do {
            routing = try ReplyRouting(parsing: replies, mix: scenario.mix)
        } catch {
            throw ValidationError(error.description)
        }
        let url =
            url ?? ProcessInfo.processInfo.environment["MTS_RELAY_BROKER_URL"]
            ?? "amqp://guest:guest@127.0.0.1:5672/"
        var connection = try AMQPConnectionConfiguration(url: url)
        connection.connectionName = "mts-sim \(scenario.runPrefix)"
        if !force {
            try ProductionGuard(configurationPath: productionConfig).check(
                connection, publishingTo: [intake] + routing.queues)
        }
        var logger = Logger(label: "mts-sim")
        logger.logLevel = .notice

        print(
            "mts-sim: prefix \(scenario.runPrefix), seed \(scenario.seed), broker \(connection), "
                + "intake \(intake), replies \(routing.queues.joined(separator: ","))")
        let runner = SimulationRunner(
            scenario: scenario, connection: connection, intakeQueue: intake, routing: routing, count: count,
            duration: duration.map { .milliseconds(Int64($0 * 1000)) }, rate: rate, inFlight: inFlight,
            unmatchedGraceMilliseconds: unmatchedGraceMs, declareQueues: declare, logger: logger)
        let report = try await runner.run()
        if let manifest {
            try report.manifest.jsonLines().write(to: URL(fileURLWithPath: manifest))
        }
        print(report.tally.table(elapsedSeconds: report.elapsed.seconds))
        let phase = report.sendingPhase.seconds
        print(
            "sending phase (until the last request was confirmed): \(report.messagesInSendingPhase) messages in "
                + "\(RunTally.format(phase, digits: 3)) s, "
                + "\(RunTally.format(phase > 0 ? Double(report.messagesInSendingPhase) / phase : 0, digits: 1)) msg/s"
        )
        let publishing = report.publishing.seconds
        let requests = report.tally.requests
        print(
            "publishing: \(requests) requests in \(RunTally.format(publishing, digits: 3)) s, "
                + "\(RunTally.format(publishing > 0 ? Double(requests) / publishing : 0, digits: 1)) requests/s "
                + "(the last confirm \(RunTally.format((report.elapsed - report.publishing).seconds, digits: 3)) s "
                + "later)")
        if let manifest { print("manifest: \(manifest) (\(report.manifest.entries.count) correlation ids)") }
        if let check {
            let result: CheckReport
            do {
                result = try await ResultsFileCheck.check(
                    manifest: report.manifest, resultsPath: check, waitSeconds: checkWaitSeconds)
            } catch {
                CheckCommand.fail("\(check): \(error)")
            }
            ResultsFileCheck.print(result)
            if !result.isMatch { throw ExitCode(1) }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a double.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
