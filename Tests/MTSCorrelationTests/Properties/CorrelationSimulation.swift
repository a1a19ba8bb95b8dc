import MTSCorrelation
import Testing

/// A daemon around a ``CorrelationCore``, driven by a list of operation codes, with a model
/// store (a dictionary fed by the core's persistence effects), watermark moves and simulated
/// crashes.
///
/// Watermarks keep their promise: once the reply watermark is at `w`, no reply stamped at or
/// before `w` is delivered in that lifetime (a generated stamp below it is raised to `w + 1`),
/// and the watermark moves as a consumer reports it: to the clock minus a transit allowance
/// (caught up), or to the highest stamp read that is not in the future (behind). Some replies
/// are stamped `Int64.max`. The intake watermark keeps its promise the same way for requests.
///
/// It behaves as the daemon will: a registration is durable when `register` returns; a reply
/// delivery stays unacked until its result is confirmed; `confirm` persists the results'
/// resolutions and acks their deliveries; a crash loses everything not persisted, rebuilds the
/// core from the model store, and the broker redelivers every unacked reply (flagged
/// `redelivered`, in delivery order, with new delivery tokens).
struct CorrelationSimulation {
    static let configuration = CorrelationConfiguration(
        timeouts: OperationTimeouts(defaultTimeout: 5_000, byOperation: ["ticket-placement": 1_000]),
        retention: 60_000, unmatchedGrace: 300, clockSkewTolerance: 40, capacity: 1_000_000)
    static let ids = ["c0", "c1", "c2", "c3"]

    struct Emitted {
        var lifetime: Int
        var result: CorrelationResult
        /// "id#generation" for matched and timeout results.
        var registration: String?
        /// The reply watermark when the result was made.
        var replyWatermark: Int64?
        /// Whether the same step also made a `late` for this id (a reply stamped too late
        /// times its request out at once).
        var withLate: Bool
        /// Made again at recovery (an unconfirmed timeout of the previous lifetime).
        var reemitted: Bool
    }

    var now = Fixtures.epoch
    var core = CorrelationCore(configuration: configuration, now: Fixtures.epoch)
    var store: [String: PersistedRequest] = [:]
    var lifetime = 0
    var unconfirmed: [CorrelationResult] = []
    /// Unacked deliveries, in delivery order.
    var inFlight: [(token: UInt64, reply: CorrelationReply)] = []
    var nextToken: UInt64 = 1
    var deliveredTokens: [UInt64] = []
    var redeliveredTokens: Set<UInt64> = []
    var generation: [String: Int] = [:]
    var replyCounter = 0
    /// The highest reply stamp delivered in this lifetime that was not in the future.
    var highestReplyStamp: Int64?
    var highestRequestStamp: Int64?
    /// The highest reply watermark ever reported, in any lifetime: the queue promised that no
    /// new reply stamped at or before it would come.
    var promisedReplyWatermark: Int64?
    /// Likewise for the intake: no new request stamped at or before it comes.
    var promisedIntakeWatermark: Int64?
    var emitted: [Emitted] = []
    var log: [String] = []

    mutating func run(_ codes: [Int]) {
        for code in codes { perform(code) }
        finish()
    }

    mutating func perform(_ code: Int) {
        let id = Self.ids[(code / 8) % Self.ids.count]
        switch code % 8 {
        case 0, 1:
            let offset = Int64((code / 32) % 3) * 600
            // The intake promised that no request stamped at or before its watermark would come.
            let stamp = max(now - offset, (promisedIntakeWatermark ?? .min) + 1)
            register(Fixtures.request(id, at: stamp, body: "req-\(id)"))
        case 2, 3:
            replyCounter += 1
            let type = (code / 32) % 2 == 0 ? "ticket-reply" : "error-reply"
            deliver(
                Fixtures.reply(id, contentType: type, at: replyStamp(code), body: "rep-\(id)-\(replyCounter)")
            )
        case 4:
            replyCounter += 1
            deliver(
                Fixtures.reply(
                    id, contentType: "cancel-reply", at: replyStamp(code), body: "rep-\(id)-\(replyCounter)"))
        case 5:
            let steps: [Int64] = [50, 400, 1_200, 2_500, 7_000, 70_000]
            advance(by: steps[(code / 8) % steps.count], limit: (code / 48) % 3 + 1)
        case 6:
            confirmAll()
        default:
            switch (code / 8) % 5 {
            case 0: crash()
            case 1: moveWatermark(.replies, to: now - 100, "caught up")
            case 2: moveWatermark(.replies, to: highestReplyStamp, "behind")
            case 3: moveWatermark(.intake, to: now - 100, "caught up")
            default: moveWatermark(.intake, to: highestRequestStamp, "behind")
            }
        }
    }

    /// A reply's stamp: around the clock, sometimes in the future, never at or before the
    /// reply watermark (which promised that none would come).
    func replyStamp(_ code: Int) -> Int64 {
        let stamps: [Int64] = [now, now - 150, now - 900, .max]
        let stamp = stamps[(code / 64) % stamps.count]
        guard let promised = promisedReplyWatermark else { return stamp }
        return max(stamp, promised + 1)
    }

    mutating func moveWatermark(_ source: WatermarkSource, to value: Int64?, _ why: String) {
        guard let value else { return }
        let queue = source == .replies ? "replies" : "intake"
        log.append("\(source) watermark \(why) -> \(value - Fixtures.epoch)")
        core.advanceWatermark(source, queue: queue, to: value, now: now)
        if source == .replies, let mark = core.replyWatermarks.combined {
            promisedReplyWatermark = max(promisedReplyWatermark ?? mark, mark)
        }
        if source == .intake, let mark = core.intakeWatermarks.combined {
            promisedIntakeWatermark = max(promisedIntakeWatermark ?? mark, mark)
        }
        while let wake = core.nextWake, wake <= now {
            absorb(core.advance(to: now, limit: 2))
        }
    }

    mutating func register(_ request: CorrelationRequest) {
        log.append(
            "register \(request.correlationId) ts=\(request.timestampUtc - Fixtures.epoch) at \(now - Fixtures.epoch)"
        )
        if request.timestampUtc <= now {
            highestRequestStamp = max(highestRequestStamp ?? request.timestampUtc, request.timestampUtc)
        }
        do {
            let step = try core.register(request, now: now)
            if step.registration == .registered { generation[request.correlationId, default: 0] += 1 }
            absorb(step)
        } catch {
            Issue.record("registration refused: \(error)")
        }
    }

    mutating func deliver(_ reply: CorrelationReply) {
        var reply = reply
        reply.token = nextToken
        nextToken += 1
        deliveredTokens.append(reply.token)
        inFlight.append((reply.token, reply))
        if reply.timestampUtc <= now {
            highestReplyStamp = max(highestReplyStamp ?? reply.timestampUtc, reply.timestampUtc)
        }
        log.append(
            "reply \(reply.correlationId) \(reply.contentType) token=\(reply.token) redelivered=\(reply.redelivered) at \(now - Fixtures.epoch)"
        )
        absorb(core.receive(reply, now: now))
    }

    mutating func advance(by milliseconds: Int64, limit: Int) {
        now += milliseconds
        log.append("advance to \(now - Fixtures.epoch) limit \(limit)")
        while let wake = core.nextWake, wake <= now {
            absorb(core.advance(to: now, limit: limit))
        }
    }

    mutating func confirmAll() {
        log.append("confirm \(unconfirmed.count)")
        for result in unconfirmed {
            if let effect = result.persistOnConfirm { apply(effect) }
            if let token = result.token { inFlight.removeAll { $0.token == token } }
        }
        unconfirmed = []
    }

    mutating func crash() {
        log.append("crash at \(now - Fixtures.epoch)")
        lifetime += 1
        unconfirmed = []
        highestReplyStamp = nil
        highestRequestStamp = nil
        do {
            let rows = store.values.sorted { $0.request.correlationId < $1.request.correlationId }
            let recovered = try CorrelationCore.recovering(rows, configuration: Self.configuration, now: now)
            core = recovered.core
            absorb(recovered.step, reemitted: true)
        } catch {
            Issue.record("recovery failed: \(error)")
        }
        let redeliveries = inFlight
        inFlight = []
        // The new lifetime's watermarks are unknown: redelivered replies keep their stamps.
        for delivery in redeliveries {
            redeliveredTokens.insert(delivery.token)
            var reply = delivery.reply
            reply.redelivered = true
            deliver(reply)
        }
    }

    /// Lets every timer run out and confirms everything.
    mutating func finish() {
        log.append("finish")
        now += 20_000
        moveWatermark(.replies, to: now - 100, "caught up")
        moveWatermark(.intake, to: now - 100, "caught up")
        confirmAll()
    }

    mutating func absorb(_ step: CorrelationStep, reemitted: Bool = false) {
        step.effects.forEach { apply($0) }
        let lateIds = Set(step.results.filter { $0.outcome == .late }.compactMap(\.correlationId))
        for result in step.results {
            var registration: String?
            if result.outcome == .matched || result.outcome == .timeout, let id = result.correlationId {
                registration = "\(id)#\(generation[id, default: 0])"
            }
            log.append(
                "  -> \(result.outcome) \(result.correlationId ?? "-") token=\(result.token.map(String.init) ?? "-")"
            )
            emitted.append(
                Emitted(
                    lifetime: lifetime, result: result, registration: registration,
                    replyWatermark: core.replyWatermarks.combined,
                    withLate: result.correlationId.map(lateIds.contains) ?? false, reemitted: reemitted))
            unconfirmed.append(result)
        }
    }

    mutating func apply(_ effect: PersistenceEffect) {
        ModelStore.apply(effect, to: &store)
    }

    /// The invariants; returns the violations in words.
    func violations() -> [String] {
        var problems: [String] = []
        // Every reply delivery yields at most one result, and exactly one unless the broker
        // redelivered it after a crash (then the redelivery, a new delivery, yields it).
        var resultsPerToken: [UInt64: Int] = [:]
        for entry in emitted {
            if let token = entry.result.token { resultsPerToken[token, default: 0] += 1 }
        }
        for token in deliveredTokens {
            let count = resultsPerToken[token, default: 0]
            if count > 1 { problems.append("delivery \(token) yielded \(count) results") }
            if count == 0 && !redeliveredTokens.contains(token) {
                problems.append("delivery \(token) yielded no result")
            }
        }
        // Every registration ends in exactly one of matched or timeout: one outcome, at most one
        // resolution per lifetime, and any repeat across a restart comes from redelivered input.
        var resolutions: [String: [Emitted]] = [:]
        for entry in emitted {
            if let key = entry.registration { resolutions[key, default: []].append(entry) }
        }
        for (id, generations) in generation {
            for generationNumber in 1...max(generations, 1) where generations > 0 {
                let key = "\(id)#\(generationNumber)"
                let entries = resolutions[key, default: []]
                if entries.isEmpty { problems.append("\(key) never resolved") }
                if Set(entries.map(\.result.outcome)).count > 1 {
                    problems.append("\(key) resolved differently: \(entries.map(\.result.outcome))")
                }
                if Set(entries.map(\.lifetime)).count != entries.count {
                    problems.append("\(key) resolved twice in one lifetime")
                }
                for repeated in entries.dropFirst() {
                    let fromRedelivery =
                        repeated.result.outcome == .matched
                        ? repeated.result.redelivered : repeated.result.afterRecovery
                    if !fromRedelivery {
                        problems.append("\(key) repeated \(repeated.result.outcome) without redelivery")
                    }
                }
            }
        }
        // Event time: a reply stamped in time is never late, and no request times out while the
        // reply watermark is at or before its deadline plus the tolerance (unless a reply stamped
        // too late timed it out, or the timeout repeats one decided before a crash).
        let tolerance = Self.configuration.clockSkewTolerance
        for entry in emitted {
            let result = entry.result
            guard let deadline = result.deadline else { continue }
            // The one exception the rule has: a reply stamped past the deadline, read while
            // the request was outstanding, times it out at once; an in-time reply read after it
            // is late.
            let readBefore = emitted.prefix { $0.result !== result }.contains { earlier in
                earlier.result.correlationId == result.correlationId && earlier.result.outcome == .late
                    && earlier.result.reply.map { $0.timestampUtc > deadline + tolerance } ?? false
            }
            // (A reply stamped before its request may answer an earlier registration of the id.)
            if result.outcome == .late, !readBefore, let stamp = result.reply?.timestampUtc,
                stamp <= deadline + tolerance, stamp >= result.request?.timestampUtc ?? .min
            {
                problems.append("\(result.correlationId ?? "-") late although stamped in time")
            }
            if result.outcome == .timeout, !entry.withLate, !entry.reemitted,
                (entry.replyWatermark ?? .min) <= deadline + tolerance
            {
                problems.append(
                    "\(result.correlationId ?? "-") timed out before the watermark passed its deadline")
            }
        }
        // What is durable agrees with what was emitted last.
        for row in store.values where row.state == .outstanding {
            problems.append(
                "\(row.request.correlationId) still outstanding in the store after everything ran out")
        }
        return problems
    }
}
