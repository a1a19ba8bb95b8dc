import Logging
import MTSCorrelation
import ServiceLifecycle

/// Sends an active upstream's registered requests, for one term: each is marked **sent**
/// durably first (what it takes at once in one transaction), and never sent again once marked:
/// a retry happens only when the upstream certainly did not take it
/// (``UpstreamAttempt/refused(reason:retryAfter:)``, ``UpstreamAttempt/notSent(reason:)``).
/// Each answer is stamped with the time it arrived and handed to the engine as the request's
/// reply.
///
/// The engine works in event time: its reply watermark is the relay's clock (every answer is
/// read as it arrives), reported every 50 ms, so a request without an answer times out once its
/// deadline (registration + the upstream's timeout) has passed.
///
/// When it starts (a restart, or a new term after a step-down): requests registered and never
/// sent are sent (unless their deadline has passed: then they time out, "not sent"); requests
/// sent without an answer time out as outcome unknown; answers recorded but not confirmed are
/// handed to the engine again.
struct UpstreamSender<Upstream: ActiveUpstream>: Service {
    let upstream: Upstream
    let engine: CorrelationEngine
    let handoff: UpstreamHandoff
    let notes: UpstreamNotes
    let upstreamMetrics: UpstreamMetrics
    let logger: Logger

    func run() async throws {
        await recover()
        do {
            // On shutdown both parts are cancelled: POSTs under way end (a request already
            // written is then an outcome unknown, timed out after a restart).
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await tick() }
                    group.addTask { await sendAll() }
                }
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
    }

    // MARK: Recovery

    private func recover() async {
        let now = Timestamp.nowMilliseconds()
        var resend: [UpstreamWork] = []
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
                } else if let payload = upstream.payload(ofStored: row.request.body) {
                    resend.append(
                        UpstreamWork(
                            correlationId: id, payload: payload, deadline: row.deadline,
                            holdsBacklogPlace: false))
                } else {
                    notes.set(id, .notCreated("not sent: the stored request no longer decodes"))
                }
            }
        }
        handoff.work.append(contentsOf: resend)
        if resend.count + unknown + answered > 0 {
            logger.notice(
                "Recovered \(upstream.name) requests",
                metadata: [
                    "toSend": "\(resend.count)", "sentWithoutAnswer": "\(unknown)",
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

    /// Takes as many waiting requests as there are free connections, marks them sent in one
    /// transaction, and sends each; until cancelled.
    private func sendAll() async {
        let slots = AsyncLimiter(limit: upstream.concurrency)
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                await slots.acquire()
                let places = 1 + slots.tryAcquire(upTo: upstream.concurrency - 1)
                guard let items = await nextBatch(max: places) else {
                    slots.release(places)
                    break
                }
                slots.release(places - items.count)
                let marked = await markSent(items)
                for item in items {
                    group.addTask {
                        if marked { await sendOnce(item) }
                        slots.release()
                        if item.holdsBacklogPlace { handoff.backlog.release() }
                    }
                }
            }
        }
    }

    /// The next requests, at most `max`; nil when cancelled (the queue's wait is not
    /// cancellable, so cancellation finishes it).
    private func nextBatch(max: Int) async -> [UpstreamWork]? {
        await withTaskCancellationHandler {
            await handoff.work.next(max: max)
        } onCancel: {
            handoff.work.finish()
        }
    }

    /// Marks `items` sent, durably, in one transaction; those past their deadline are not
    /// sent. Returns whether they may be sent.
    private func markSent(_ items: [UpstreamWork]) async -> Bool {
        do {
            try await engine.markSent(items.map(\.correlationId))
            upstreamMetrics.recordSent(items.count)
            return true
        } catch {
            logger.critical(
                "Cannot mark requests sent; not sending them",
                metadata: ["upstream": "\(upstream.name)", "requests": "\(items.count)", "error": "\(error)"])
            for item in items {
                notes.set(
                    item.correlationId,
                    .notCreated("not sent: the store could not record it as sent (no ticket was created)"))
            }
            return false
        }
    }

    /// Sends one request marked sent; retries only what the upstream certainly did not take,
    /// until the deadline.
    private func sendOnce(_ item: UpstreamWork) async {
        let id = item.correlationId
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let delay: Duration
            let lastReason: String
            let refused: Bool
            switch await upstream.send(item.payload, correlationId: id, deadline: item.deadline) {
            case .answered(let answer):
                upstreamMetrics.recordAnswer(status: answer.status, latency: .now - started)
                await engine.receive(reply(for: id, answer: answer, redelivered: false), answer: answer)
                return
            case .unknown(let reason):
                notes.set(id, .outcomeUnknown(reason))
                logger.warning(
                    "Outcome unknown; the request is never sent again and times out at its deadline",
                    metadata: [
                        "upstream": "\(upstream.name)", "correlationId": "\(id)", "reason": "\(reason)",
                    ])
                return
            case .refused(let reason, let retryAfter):
                (delay, lastReason, refused) = (retryAfter ?? backoff.next(), reason, true)
            case .notSent(let reason):
                (delay, lastReason, refused) = (backoff.next(), reason, false)
            }
            guard Timestamp.nowMilliseconds() + delay.milliseconds <= item.deadline else {
                notes.set(
                    id,
                    .notCreated(
                        refused
                            ? "not created: the upstream refused every attempt before the deadline (last: \(lastReason)); it is never sent again"
                            : "not sent: no attempt reached the upstream before the deadline (last: \(lastReason)); it is never sent again"
                    ))
                return
            }
            upstreamMetrics.recordRetry()
            logger.info(
                "Upstream did not take the request; retrying",
                metadata: [
                    "upstream": "\(upstream.name)", "correlationId": "\(id)", "reason": "\(lastReason)",
                    "delayMs": "\(delay.milliseconds)",
                ])
            do {
                try await Task.sleep(for: delay)
            } catch {
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
}
