import AMQPClient
import Foundation
import Logging
import MTSSimulation

/// The IO of a run: plans exchanges with ``ScenarioPlanner`` and publishes them from one loop
/// that ticks every millisecond or so: each turn it publishes, as one batch on one confirming
/// channel, the requests due by then at the pace asked and the replies due by then, and goes on
/// while the broker confirms earlier batches (at most `inFlight` messages unconfirmed). Every
/// wait is a `Task.sleep` or a confirm; the AMQP client does its socket IO on its own thread.
struct SimulationRunner {
    var scenario: ScenarioConfiguration
    var connection: AMQPConnectionConfiguration
    var intakeQueue: String
    var routing: ReplyRouting
    /// Exchanges to plan; nil when only `duration` bounds the run.
    var count: Int?
    var duration: Duration?
    /// Exchanges per second; 0 = as fast as the broker confirms.
    var rate: Double
    /// Unconfirmed publishes at most (requests and replies together).
    var inFlight: Int
    /// The relay's unmatched grace, for the due time of unsolicited replies.
    var unmatchedGraceMilliseconds: Int64
    /// Declare missing queues (durable), so that nothing published is dropped unrouted.
    var declareQueues: Bool
    var logger: Logger

    /// What a run did.
    struct Report {
        var manifest: RunManifest
        var tally: RunTally
        /// From the first publish to the last confirm.
        var elapsed: Duration
        /// Until the last request was confirmed, and the messages confirmed by then.
        var sendingPhase: Duration
        var messagesInSendingPhase: Int
        /// Until the run stopped planning requests: `duration`, or the batch with the last of
        /// `count` handed to the connection. The requests of the run went out in this time.
        var publishing: Duration
    }

    /// The most exchanges planned in one turn of the loop (when it is behind, or at rate 0).
    var exchangesPerTurn: Int { max(1, min(256, inFlight / 2)) }

    /// The shortest wait between turns at a given rate: what is due meanwhile goes out together.
    static let tick = Duration.milliseconds(1)

    func run() async throws -> Report {
        var planner = try ScenarioPlanner(configuration: scenario)
        let amqp = try await AMQPConnection.connect(connection, logger: logger)
        if declareQueues { try await ensureQueues(on: amqp) }
        var publisher = BatchPublisher(
            channel: try await amqp.openChannel(publisherConfirms: true), window: inFlight)
        var ledger = RunLedger()
        var schedule = ReplySchedule()
        let startedAt = Self.nowMilliseconds()
        let clock = ContinuousClock()
        let start = clock.now
        var planning = true
        var publishingEnd = start

        while true {
            let now = clock.now
            // Past the duration, this last turn sends what was due before its end (a turn may
            // come late); a run that was behind stops all the same, with fewer requests sent.
            let isLastTurn = planning && duration.map { now - start >= $0 } == true
            let horizon = isLastTurn ? duration! : now - start
            // At rate 0 nothing is due after the end.
            var due = planning && !(isLastTurn && rate == 0) ? exchangesPerTurn : 0
            if planning, rate > 0 {
                // Exchange i is due i / rate seconds after the start (strictly before the end).
                let dueByHorizon =
                    (horizon.seconds * rate).rounded(isLastTurn ? .up : .down) + (isLastTurn ? 0 : 1)
                due = min(due, Int(dueByHorizon) - planner.nextIndex)
            }
            if planning, let count { due = min(due, count - planner.nextIndex) }

            var nowMs = Self.nowMilliseconds()
            var batch: [AMQPOutgoingMessage] = []
            for item in schedule.takeDue(now: nowMs) {
                appendReply(item.reply, of: item.exchange, stampedAt: nowMs, to: &batch, ledger: &ledger)
            }
            var hasRequests = false
            if due > 0 {
                let exchanges = (0..<due).map { _ in planner.next() }
                // Replies that go before their request are confirmed before the request is sent.
                var early: [AMQPOutgoingMessage] = []
                for exchange in exchanges where exchange.hasRequest {
                    for reply in exchange.replies where reply.timing == .beforeRequest {
                        appendReply(reply, of: exchange, stampedAt: nowMs, to: &early, ledger: &ledger)
                    }
                }
                if !early.isEmpty {
                    try await publisher.submit(early, hasRequests: false)
                    try await publisher.drain()
                    nowMs = Self.nowMilliseconds()
                }
                for exchange in exchanges {
                    if exchange.hasRequest {
                        batch.append(
                            AMQPOutgoingMessage(
                                body: exchange.requestBody(timestampUtc: nowMs), routingKey: intakeQueue,
                                properties: Self.properties(correlationID: exchange.correlationId)))
                        ledger.recordRequest(exchange.kind)
                        hasRequests = true
                    }
                    for reply in exchange.replies {
                        if case .afterRequest(let delay) = reply.timing {
                            schedule.add(exchange, reply, dueAt: nowMs + delay)
                        }
                    }
                    ledger.record(
                        exchange,
                        entry: exchange.manifestEntry(
                            sentAt: nowMs, timeout: scenario.timeouts.milliseconds(for: exchange.kind),
                            unmatchedGrace: unmatchedGraceMilliseconds))
                }
            }
            try await publisher.submit(batch, hasRequests: hasRequests)
            if isLastTurn {
                planning = false
                publishingEnd = start + duration!
            } else if planning, let count, planner.nextIndex >= count {
                planning = false
                publishingEnd = clock.now
            }

            if !planning, schedule.isEmpty { break }
            if planning, rate == 0 { continue }
            // Sleep until the next exchange or reply is due, and at least one tick after this
            // turn began; go on at once when behind.
            var wake = planning ? start + .seconds(Double(planner.nextIndex) / rate) : nil
            if let next = schedule.nextDue {
                let reply = clock.now + .milliseconds(next - Self.nowMilliseconds())
                wake = wake.map { min($0, reply) } ?? reply
            }
            guard let wake, wake > clock.now else { continue }
            try await Task.sleep(until: max(wake, now + Self.tick), clock: clock)
        }
        try await publisher.drain()
        let elapsed = clock.now - start
        await amqp.close()

        // The sending phase ends with the confirm of the last batch that held requests.
        let phaseEnd = publisher.history.filter(\.hasRequests).map(\.at).max() ?? start
        let messagesInSendingPhase = publisher.history.filter { $0.at <= phaseEnd }.reduce(0) {
            $0 + $1.messages
        }
        let header = ManifestHeader(
            prefix: scenario.runPrefix, seed: scenario.seed, startedAt: startedAt,
            finishedAt: Self.nowMilliseconds(), options: describeOptions())
        return Report(
            manifest: RunManifest(header: header, entries: ledger.entries), tally: ledger.tally,
            elapsed: elapsed, sendingPhase: phaseEnd - start, messagesInSendingPhase: messagesInSendingPhase,
            publishing: publishingEnd - start)
    }

    /// Appends every copy of one reply, stamped `stampedAt`, back to back.
    private func appendReply(
        _ reply: PlannedReply, of exchange: PlannedExchange, stampedAt: Int64,
        to batch: inout [AMQPOutgoingMessage], ledger: inout RunLedger
    ) {
        let message = AMQPOutgoingMessage(
            body: exchange.body(of: reply, timestampUtc: stampedAt), routingKey: routing.queue(for: exchange),
            properties: Self.properties(correlationID: exchange.correlationIDProperty(of: reply)))
        for _ in 0..<reply.copies { batch.append(message) }
        ledger.recordReplies(exchange.kind, count: reply.copies)
    }

    /// The properties of every message: JSON, persistent, the correlation id when given.
    static func properties(correlationID: String?) -> AMQPProperties {
        AMQPProperties(
            contentType: "application/json", deliveryMode: .persistent, correlationID: correlationID,
            appID: "mts-sim")
    }

    /// Declares (durable, no arguments) the queues that do not exist; existing ones are left as
    /// they are, whatever their arguments.
    private func ensureQueues(on connection: AMQPConnection) async throws {
        for queue in [intakeQueue] + routing.queues {
            // A passive declare of a missing queue closes its channel (404): one channel each.
            let probe = try await connection.openChannel()
            do {
                _ = try await probe.inspectQueue(queue)
                try? await probe.close()
            } catch let error as AMQPError where error.replyCode == 404 {
                let declarer = try await connection.openChannel()
                try await declarer.declareQueue(queue, durable: true)
                try? await declarer.close()
                logger.notice("Declared missing queue (durable)", metadata: ["queue": "\(queue)"])
            }
        }
    }

    private func describeOptions() -> String {
        let f = scenario.fates
        return "mix=\(scenario.mix) accept=\(scenario.acceptRatio) errorReplies=\(scenario.errorReplyRatio) "
            + "latencyMs=\(scenario.latency) drop=\(f.drop) late=\(f.late) duplicate=\(f.duplicate) "
            + "unsolicited=\(f.unsolicited) malformed=\(f.malformed) replyFirst=\(f.replyFirst) "
            + "anonymousMalformed=\(scenario.anonymousMalformedRatio) timeouts=\(scenario.timeouts) "
            + "lateMarginMs=\(scenario.lateMarginMilliseconds) rate=\(rate) intake=\(intakeQueue) "
            + "replies=\(routing.queues.joined(separator: ","))"
    }

    /// The wall clock, in milliseconds since the epoch (as `timestampUtc`).
    static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
