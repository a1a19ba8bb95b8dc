import AMQPClient
import Foundation
import Logging
import MTSSimulation

/// The IO of a run: plans exchanges with ``ScenarioPlanner``, publishes their requests at the
/// pace asked and their replies when due, each with publisher confirms, and collects what it
/// sent. Every wait is a `Task.sleep`; the AMQP client does its socket IO on its own thread.
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
    /// Unconfirmed publishes at most, per side (requests, replies).
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
    }

    func run() async throws -> Report {
        var planner = try ScenarioPlanner(configuration: scenario)
        let amqp = try await AMQPConnection.connect(connection, logger: logger)
        if declareQueues { try await ensureQueues(on: amqp) }
        let requests = try await amqp.openChannel(publisherConfirms: true)
        let replies = try await amqp.openChannel(publisherConfirms: true)
        let ledger = RunLedger()
        let schedule = ReplySchedule()
        let startedAt = Self.nowMilliseconds()
        let clock = ContinuousClock()
        let start = clock.now
        var sendingPhase = Duration.zero
        var messagesInSendingPhase = 0

        try await withThrowingTaskGroup(of: Void.self) { outer in
            outer.addTask {
                try await publishReplies(from: schedule, on: replies, ledger: ledger)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                var running = 0
                var index = 0
                while count.map({ index < $0 }) ?? true {
                    if rate > 0 {
                        let due = start + .seconds(Double(index) / rate)
                        if clock.now < due { try await Task.sleep(until: due, clock: clock) }
                    }
                    if let duration, clock.now - start >= duration { break }
                    let exchange = planner.next()
                    index += 1
                    if running >= inFlight {
                        try await group.next()
                        running -= 1
                    }
                    group.addTask {
                        try await send(
                            exchange, on: requests, replies: replies, schedule: schedule, ledger: ledger)
                    }
                    running += 1
                }
                try await group.waitForAll()
            }
            await schedule.close()
            sendingPhase = clock.now - start
            let tally = await ledger.tally
            messagesInSendingPhase = tally.requests + tally.replies
            try await outer.waitForAll()
        }
        let elapsed = clock.now - start
        await amqp.close()
        let header = ManifestHeader(
            prefix: scenario.runPrefix, seed: scenario.seed, startedAt: startedAt,
            finishedAt: Self.nowMilliseconds(), options: describeOptions())
        return Report(
            manifest: RunManifest(header: header, entries: await ledger.orderedEntries()),
            tally: await ledger.tally, elapsed: elapsed, sendingPhase: sendingPhase,
            messagesInSendingPhase: messagesInSendingPhase)
    }

    /// Publishes an exchange's request (after its reply-first reply) and schedules its replies.
    private func send(
        _ exchange: PlannedExchange, on requests: AMQPChannel, replies: AMQPChannel, schedule: ReplySchedule,
        ledger: RunLedger
    ) async throws {
        var sentAt = Self.nowMilliseconds()
        if exchange.hasRequest {
            for reply in exchange.replies where reply.timing == .beforeRequest {
                try await publish(reply, of: exchange, on: replies, ledger: ledger)
            }
            sentAt = Self.nowMilliseconds()
            try await publish(
                exchange.requestBody(timestampUtc: sentAt), to: intakeQueue,
                correlationID: exchange.correlationId,
                on: requests)
            await ledger.recordRequest(exchange.kind)
        }
        for reply in exchange.replies {
            if case .afterRequest(let delay) = reply.timing {
                await schedule.add(exchange, reply, dueAt: sentAt + delay)
            }
        }
        let entry = exchange.manifestEntry(
            sentAt: sentAt, timeout: scenario.timeouts.milliseconds(for: exchange.kind),
            unmatchedGrace: unmatchedGraceMilliseconds)
        await ledger.record(exchange, entry: entry)
    }

    /// Publishes scheduled replies when due, until the schedule is closed and empty.
    private func publishReplies(
        from schedule: ReplySchedule, on channel: AMQPChannel, ledger: RunLedger
    )
        async throws
    {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            while true {
                let (due, next) = await schedule.takeDue(now: Self.nowMilliseconds())
                for item in due {
                    if running >= inFlight {
                        try await group.next()
                        running -= 1
                    }
                    group.addTask {
                        try await publish(item.reply, of: item.exchange, on: channel, ledger: ledger)
                    }
                    running += 1
                }
                guard due.isEmpty else { continue }
                if next == nil, await schedule.isClosed, await schedule.isEmpty { break }
                let wait = next.map { min(max($0 - Self.nowMilliseconds(), 1), 5) } ?? 5
                try await Task.sleep(for: .milliseconds(wait))
            }
            try await group.waitForAll()
        }
    }

    /// Publishes every copy of one reply, stamped now, back to back.
    private func publish(
        _ reply: PlannedReply, of exchange: PlannedExchange, on channel: AMQPChannel, ledger: RunLedger
    )
        async throws
    {
        let body = exchange.body(of: reply, timestampUtc: Self.nowMilliseconds())
        for _ in 0..<reply.copies {
            try await publish(
                body, to: routing.queue(for: exchange),
                correlationID: exchange.correlationIDProperty(of: reply),
                on: channel)
        }
        await ledger.recordReplies(exchange.kind, count: reply.copies)
    }

    private func publish(
        _ body: [UInt8], to queue: String, correlationID: String?, on channel: AMQPChannel
    )
        async throws
    {
        let confirmation = try await channel.publish(
            body, routingKey: queue,
            properties: AMQPProperties(
                contentType: "application/json", deliveryMode: .persistent, correlationID: correlationID,
                appID: "mts-sim"))
        guard confirmation == .acked else {
            throw PublishRefused(queue: queue, confirmation: confirmation)
        }
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
