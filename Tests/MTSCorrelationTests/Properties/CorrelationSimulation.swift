import MTSCorrelation
import Testing

/// A daemon around a ``CorrelationCore``, driven by a list of operation codes, with a model
/// store (a dictionary fed by the core's persistence effects) and simulated crashes.
///
/// It behaves as the daemon will: a registration is durable when `register` returns; a reply
/// delivery stays unacked until its result is confirmed; `confirm` persists the results'
/// resolutions and acks their deliveries; a crash loses everything not persisted, rebuilds the
/// core from the model store, and the broker redelivers every unacked reply (flagged
/// `redelivered`, in delivery order, with new delivery tokens).
struct CorrelationSimulation {
    static let configuration = CorrelationConfiguration(
        timeouts: OperationTimeouts(defaultTimeout: 5_000, byOperation: ["ticket-placement": 1_000]),
        retention: 60_000, unmatchedGrace: 300, startupGrace: 2_000, capacity: 1_000_000)
    static let ids = ["c0", "c1", "c2", "c3"]

    struct Emitted {
        var lifetime: Int
        var result: CorrelationResult
        /// "id#generation" for matched and timeout results.
        var registration: String?
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
            register(Fixtures.request(id, at: now - offset, body: "req-\(id)"))
        case 2, 3:
            replyCounter += 1
            let type = (code / 32) % 2 == 0 ? "ticket-reply" : "error-reply"
            deliver(Fixtures.reply(id, contentType: type, at: now, body: "rep-\(id)-\(replyCounter)"))
        case 4:
            replyCounter += 1
            deliver(
                Fixtures.reply(id, contentType: "cancel-reply", at: now, body: "rep-\(id)-\(replyCounter)"))
        case 5:
            let steps: [Int64] = [50, 400, 1_200, 2_500, 7_000, 70_000]
            advance(by: steps[(code / 8) % steps.count], limit: (code / 48) % 3 + 1)
        case 6:
            confirmAll()
        default:
            switch (code / 8) % 4 {
            case 0: crash()
            case 1:
                log.append("intake behind")
                core.intakeFellBehind()
            case 2:
                log.append("intake caught up")
                core.intakeCaughtUp(now: now)
            default:
                log.append("backlog drained")
                core.replyBacklogDrained(now: now)
            }
        }
    }

    mutating func register(_ request: CorrelationRequest) {
        log.append(
            "register \(request.correlationId) ts=\(request.timestampUtc - Fixtures.epoch) at \(now - Fixtures.epoch)"
        )
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
        do {
            let rows = store.values.sorted { $0.request.correlationId < $1.request.correlationId }
            let recovered = try CorrelationCore.recovering(rows, configuration: Self.configuration, now: now)
            core = recovered.core
            absorb(recovered.step)
        } catch {
            Issue.record("recovery failed: \(error)")
        }
        let redeliveries = inFlight
        inFlight = []
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
        core.intakeCaughtUp(now: now)
        core.replyBacklogDrained(now: now)
        advance(by: 20_000, limit: 1_000)
        confirmAll()
    }

    mutating func absorb(_ step: CorrelationStep) {
        step.effects.forEach { apply($0) }
        for result in step.results {
            var registration: String?
            if result.outcome == .matched || result.outcome == .timeout, let id = result.correlationId {
                registration = "\(id)#\(generation[id, default: 0])"
            }
            log.append(
                "  -> \(result.outcome) \(result.correlationId ?? "-") token=\(result.token.map(String.init) ?? "-")"
            )
            emitted.append(Emitted(lifetime: lifetime, result: result, registration: registration))
            unconfirmed.append(result)
        }
    }

    mutating func apply(_ effect: PersistenceEffect) {
        switch effect {
        case .insert(let row):
            store[row.request.correlationId] = row
        case .resolve(let id, let state, let resolvedAt, let replyHash):
            guard var row = store[id] else { return }
            row.state = state
            row.resolvedAt = resolvedAt
            row.replyHash = replyHash
            row.confirmed = false
            store[id] = row
        case .confirm(let id):
            guard var row = store[id], row.state != .outstanding else { return }
            row.confirmed = true
            row.request.body = []
            store[id] = row
        case .purge(let id):
            store[id] = nil
        }
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
        // What is durable agrees with what was emitted last.
        for row in store.values where row.state == .outstanding {
            problems.append(
                "\(row.request.correlationId) still outstanding in the store after everything ran out")
        }
        return problems
    }
}
