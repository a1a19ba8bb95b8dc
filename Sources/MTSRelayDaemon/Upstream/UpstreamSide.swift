import AMQPClient
import Logging
import MTSCorrelation
import MTSProtocol
import ServiceLifecycle

/// An active upstream's side of the daemon: consumes its queue, registers each request durably
/// in the upstream's own engine, acks the message, then sends the request: marked **sent**
/// durably first, never sent again once marked (a retry happens only when the upstream
/// certainly did not take it: ``UpstreamAttempt/retry(reason:retryAfter:)``). Each answer is
/// stamped with the time it arrived and handed to the engine as the request's reply.
///
/// The engine works in event time: its reply watermark is this side's clock (the relay reads
/// every answer as it arrives), reported every 50 ms, so a request without an answer times out
/// once its deadline (registration + `timeoutMs`) has passed.
///
/// Invalid messages (no `correlation_id` property, a body the upstream's rules refuse, an id
/// already registered with another body) are dead-lettered with their reason and get an
/// `invalid` record; they are never sent.
///
/// After a restart: requests registered and never sent are sent (unless their deadline has
/// passed: then they time out, "not sent"); requests sent without an answer time out as
/// outcome unknown; answers recorded but not confirmed are handed to the engine again.
struct UpstreamSide<Upstream: ActiveUpstream>: Service {
    let upstream: Upstream
    let engine: CorrelationEngine
    let connection: AMQPConnectionConfiguration
    let configuration: RelayConfiguration
    let dispatcher: ResultDispatcher
    let notes: UpstreamNotes
    let metrics: RelayMetrics
    let upstreamMetrics: UpstreamMetrics
    let logger: Logger

    func run() async throws {
        // Registered requests not yet sent, at most prefetch + concurrency of the queue's own
        // (recovered ones come on top): past that the consumer waits.
        let backlog = AsyncLimiter(limit: upstream.prefetch + upstream.concurrency)
        let (work, queue) = AsyncStream.makeStream(of: (UpstreamWork, Bool).self)
        await recover(into: queue)
        do {
            // On shutdown every part is cancelled: the consumer stops, POSTs under way end (a
            // request already written is then an outcome unknown, timed out after a restart).
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await upstream.run() }
                    group.addTask { try await tick() }
                    group.addTask { await send(work, backlog: backlog) }
                    group.addTask { try await consume(into: queue, backlog: backlog) }
                }
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
    }

    // MARK: Recovery

    private func recover(into queue: AsyncStream<(UpstreamWork, Bool)>.Continuation) async {
        let now = Timestamp.nowMilliseconds()
        var resend = 0
        var unknown = 0
        var answered = 0
        for row in engine.recoveredRequests {
            let id = row.request.correlationId
            if let answer = row.answer {
                answered += 1
                // Recorded, never confirmed: the engine makes its result again (the answer plays
                // the part of a redelivered reply).
                await engine.receive(reply(for: id, answer: answer, redelivered: true))
            } else if row.state == .outstanding && row.sent {
                unknown += 1
                notes.set(
                    id,
                    .outcomeUnknown(
                        "the relay stopped while the request was under way; it is never sent again"))
            } else if row.state == .outstanding {
                if row.deadline < now {
                    notes.set(
                        id,
                        .notCreated(
                            "not sent: the deadline passed while the relay was down (no ticket was created)"))
                } else {
                    resend += 1
                    queue.yield(
                        (
                            UpstreamWork(correlationId: id, body: row.request.body, deadline: row.deadline),
                            false
                        ))
                }
            }
        }
        if resend + unknown + answered > 0 {
            logger.notice(
                "Recovered \(upstream.name) requests",
                metadata: [
                    "toSend": "\(resend)", "sentWithoutAnswer": "\(unknown)",
                    "answersToRecord": "\(answered)",
                ])
        }
    }

    // MARK: Event time

    /// The reply watermark is the relay's clock: every answer is read the moment it arrives.
    private func tick() async throws {
        while !Task.isCancelled {
            let now = Timestamp.nowMilliseconds()
            await engine.advanceWatermark(.replies, queue: upstream.name, to: now)
            await engine.advanceWatermark(.intake, queue: upstream.queue, to: now)
            try await Task.sleep(for: QueueProgress.tick)
        }
    }

    // MARK: Sending

    private func send(_ work: AsyncStream<(UpstreamWork, Bool)>, backlog: AsyncLimiter) async {
        let inFlight = AsyncLimiter(limit: upstream.concurrency)
        await withDiscardingTaskGroup { group in
            for await (item, counted) in work {
                await inFlight.acquire()
                group.addTask {
                    await sendOnce(item)
                    inFlight.release()
                    if counted { backlog.release() }
                }
            }
        }
    }

    /// Marks the request sent, then sends it; retries only what the upstream certainly did not
    /// take, until the deadline.
    private func sendOnce(_ item: UpstreamWork) async {
        let id = item.correlationId
        guard Timestamp.nowMilliseconds() <= item.deadline else {
            notes.set(
                id,
                .notCreated(
                    "not sent: the deadline passed while it waited for a free connection (no ticket was created)"
                ))
            return
        }
        do {
            try await engine.markSent([id])
        } catch {
            logger.critical(
                "Cannot mark a request sent; not sending it",
                metadata: ["upstream": "\(upstream.name)", "correlationId": "\(id)", "error": "\(error)"])
            notes.set(
                id, .notCreated("not sent: the store could not record it as sent (no ticket was created)"))
            return
        }
        upstreamMetrics.recordSent()
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        while !Task.isCancelled {
            let started = ContinuousClock.now
            switch await upstream.send(item.body, correlationId: id, deadline: item.deadline) {
            case .answered(let answer):
                upstreamMetrics.recordAnswer(status: answer.status, latency: .now - started)
                if let problem = upstream.summarize(answer).error {
                    logger.warning(
                        "Answer breaks the API's rules; recorded as it is",
                        metadata: [
                            "upstream": "\(upstream.name)", "correlationId": "\(id)", "problem": "\(problem)",
                        ])
                }
                await engine.receive(reply(for: id, answer: answer, redelivered: false), answer: answer)
                return
            case .retry(let reason, let retryAfter):
                let delay = retryAfter ?? backoff.next()
                guard Timestamp.nowMilliseconds() + delay.milliseconds <= item.deadline else {
                    notes.set(
                        id,
                        .notCreated(
                            "not created: no attempt was taken before the deadline (last: \(reason)); it is never sent again"
                        ))
                    return
                }
                upstreamMetrics.recordRetry()
                logger.info(
                    "Upstream did not take the request; retrying",
                    metadata: [
                        "upstream": "\(upstream.name)", "correlationId": "\(id)", "reason": "\(reason)",
                        "delayMs": "\(delay.milliseconds)",
                    ])
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    return
                }
            case .unknown(let reason):
                notes.set(id, .outcomeUnknown(reason))
                logger.warning(
                    "Outcome unknown; the request is never sent again and times out at its deadline",
                    metadata: [
                        "upstream": "\(upstream.name)", "correlationId": "\(id)", "reason": "\(reason)",
                    ])
                return
            }
        }
    }

    private func reply(for id: String, answer: RecordedAnswer, redelivered: Bool) -> CorrelationReply {
        CorrelationReply(
            correlationId: id, operation: upstream.operation, contentType: upstream.contentType + "-reply",
            timestampUtc: answer.receivedAt, body: answer.body, token: UInt64(clamping: answer.status),
            redelivered: redelivered)
    }

    // MARK: Consuming

    private func consume(
        into queue: AsyncStream<(UpstreamWork, Bool)>.Continuation, backlog: AsyncLimiter
    ) async throws {
        var reconnecting = ReconnectingConnection(
            configuration: connection, role: upstream.name, logger: logger)
        reconnecting.onReconnect = { [metrics] in metrics.recordReconnect() }
        try await reconnecting.run { connection in
            try await session(on: connection, queue: queue, backlog: backlog)
        }
    }

    private func session(
        on connection: AMQPConnection, queue work: AsyncStream<(UpstreamWork, Bool)>.Continuation,
        backlog: AsyncLimiter
    ) async throws {
        let queue = upstream.queue
        let opened = try await OwnedQueueConsumer.open(
            queue: queue, prefetch: upstream.prefetch, deadLetter: configuration.deadLetter, on: connection,
            logger: logger)
        let (consumer, deadLetter) = (opened.consumer, opened.deadLetter)
        logger.info("Consuming \(upstream.name) requests", metadata: ["queue": "\(queue)"])
        while true {
            guard
                let batch = try await consumer.nextBatch(max: upstream.prefetch, timeout: QueueProgress.tick)
            else { break }
            guard !batch.isEmpty else { continue }
            metrics.recordConsumed(queue: queue, count: batch.count)
            let registered = try await register(batch, deadLetter: deadLetter)
            for item in registered {
                await backlog.acquire()
                work.yield((item, true))
            }
        }
        throw AMQPError(code: .connectionClosed, reason: "the \(upstream.name) consumer ended")
    }

    /// Registers a batch's valid requests (one store transaction) and acks them once durable;
    /// invalid ones are dead-lettered. Returns the requests newly registered, to be sent.
    private func register(
        _ batch: [AMQPDelivery], deadLetter: DeadLetterPublisher
    ) async throws -> [UpstreamWork] {
        let now = Timestamp.nowMilliseconds()
        var valid: [AMQPDelivery] = []
        var requests: [CorrelationRequest] = []
        var rejected: [(delivery: AMQPDelivery, reason: String)] = []
        for delivery in batch {
            let limit = configuration.intake.maxMessageBytes
            if delivery.body.count > limit {
                let tooLarge = MessageRejection<MTSRequestSummary>(
                    reason: .tooLarge(
                        bytes: delivery.body.count, limit: limit, limitKey: "intake.maxMessageBytes"),
                    correlationId: nil, summary: nil)
                rejected.append((delivery, tooLarge.description))
                continue
            }
            guard let correlationId = delivery.properties.correlationID, !correlationId.isEmpty else {
                rejected.append(
                    (delivery, "properties.correlation_id: missing (it is the request's correlation id)"))
                continue
            }
            if let problem = upstream.problem(with: delivery.body) {
                rejected.append((delivery, problem))
                continue
            }
            valid.append(delivery)
            requests.append(
                CorrelationRequest(
                    correlationId: correlationId, operation: upstream.operation,
                    contentType: upstream.contentType,
                    timestampUtc: now, body: delivery.body))
        }
        var toSend: [UpstreamWork] = []
        if !requests.isEmpty {
            let outcomes: [Result<RegistrationStatus, CorrelationError>]
            do {
                outcomes = try await engine.register(contentsOf: requests)
            } catch {
                // Not the messages' fault: unacknowledged, they come back on a new connection.
                logger.critical("Cannot register \(upstream.name) requests", metadata: ["error": "\(error)"])
                throw AMQPError(code: .connectionClosed, reason: "registration failed; reconnecting")
            }
            for (index, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success(.registered):
                    valid[index].ack()
                    toSend.append(
                        UpstreamWork(
                            correlationId: requests[index].correlationId, body: requests[index].body,
                            deadline: now + upstream.timeoutMs))
                case .success:
                    // Already registered (a redelivery): sent, or about to be, by its first delivery.
                    valid[index].ack()
                case .failure(let error):
                    rejected.append((valid[index], "\(error)"))
                }
            }
        }
        for message in rejected {
            do {
                try await deadLetter.publish(message.delivery, queue: upstream.queue, reason: message.reason)
                try await dispatcher.dispatch(
                    UpstreamRecordBuilder.invalidRequest(
                        body: message.delivery.body, correlationId: message.delivery.properties.correlationID,
                        upstream: upstream, redelivered: message.delivery.redelivered, reason: message.reason,
                        now: Timestamp.nowMilliseconds()))
                message.delivery.ack()
            } catch {
                logger.error(
                    "Could not dead-letter an invalid request; it stays in the queue",
                    metadata: ["queue": "\(upstream.queue)", "error": "\(error)"])
                throw AMQPError(code: .connectionClosed, reason: "dead-lettering failed; reconnecting")
            }
        }
        return toSend
    }
}
