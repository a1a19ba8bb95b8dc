import DequeModule

/// The engine's decisions as a pure value: state plus event in, results and effects out.
///
/// Time is an argument (`now`, ms since the Unix epoch), so every decision is deterministic.
/// The core never scans its table: requests are found by a hash index, and every timer (request
/// deadlines, tombstone purges) lives in one indexed binary heap, O(log n) per operation.
/// Unknown replies wait in a separate, small heap for their grace period.
///
/// Deadline rule: a request's deadline is `timestampUtc + timeout(operation)`, inclusive. A reply
/// received at or before it matches; the request times out once `now > deadline`.
public struct CorrelationCore: Sendable {
    /// The settings the core was made with.
    public let configuration: CorrelationConfiguration

    var slots: [RequestSlot] = []
    var freeSlots: [Int32] = []
    /// Correlation id → slot, for outstanding requests and tombstones.
    var index = SlotIndex()
    /// Outstanding requests' deadlines (fire at deadline + 1).
    var timers = DeadlineHeap()
    /// Tombstone purges (at resolvedAt + retention), oldest first. A queue, not the heap: the
    /// retention is one constant, so purges come due in the order requests resolve, and a
    /// resolution costs an append instead of a heap insertion. (Were the wall clock to step
    /// back, a purge could only come a little late.)
    var purges = Deque<PurgeTimer>()

    /// Interned operation and content-type names.
    var names: [String] = []
    var nameIndex: [String: UInt16] = [:]

    /// Replies for unknown correlation ids, waiting for their request.
    var held: [[UInt8]: [HeldReply]] = [:]
    var heldTimers = MinHeap<HeldTimer>()
    var heldSequence: UInt64 = 0
    /// Outstanding requests by age, for ``oldestOutstandingTimestamp()``.
    var ages = MinHeap<OutstandingAgeEntry>()
    /// When intake last caught up; nil while the daemon reports it behind.
    var intakeCaughtUpAt: Int64?

    /// Recovered requests whose deadline fell inside the startup grace; not in `timers` until
    /// the grace ends or the reply backlog is drained.
    var deferredRecovered: [Int32] = []
    var startupGraceEndsAt: Int64?

    var nextResultID: UInt64 = 1

    /// Requests waiting for a reply.
    public internal(set) var outstandingCount = 0
    /// Resolved requests kept for retention.
    public internal(set) var tombstoneCount = 0
    /// Replies waiting through their unmatched grace.
    public internal(set) var heldReplyCount = 0

    /// Whether steps carry ``CorrelationStep/effects``. Without a store nobody reads them, and
    /// building them (a copy of every request) is wasted work.
    public let recordsEffects: Bool

    /// An empty core. Intake counts as caught up from `now`.
    ///
    /// - Parameter recordsEffects: false when nothing persists the effects (no store).
    public init(configuration: CorrelationConfiguration, now: Int64, recordsEffects: Bool = true) {
        self.configuration = configuration
        self.intakeCaughtUpAt = now
        self.recordsEffects = recordsEffects
    }

    /// The earliest instant at which ``advance(to:limit:)`` has something to do, or nil.
    public var nextWake: Int64? {
        var wake = timers.first?.fireAt
        if let purge = purges.first { wake = min(wake ?? .max, purge.fireAt) }
        if intakeCaughtUpAt != nil, let heldTimer = heldTimers.first {
            wake = min(wake ?? .max, heldTimer.expiresAt)
        }
        if !deferredRecovered.isEmpty, let graceEnd = startupGraceEndsAt {
            wake = min(wake ?? .max, graceEnd)
        }
        return wake
    }

    /// Whether `correlationId` is outstanding or in retention.
    public func isKnown(_ correlationId: String) -> Bool {
        lookup(correlationId) != nil
    }

    /// Where `correlationId` stands, if known.
    public func state(of correlationId: String) -> PersistedRequest.State? {
        guard let slot = lookup(correlationId) else { return nil }
        switch slots[Int(slot)].state {
        case .outstanding: return .outstanding
        case .matched: return .matched
        case .timedOut: return .timedOut
        case .free: return nil
        }
    }

    // MARK: Registration

    /// Registers a request.
    ///
    /// - A new id becomes outstanding and yields an `insert` effect. Replies already held for it
    ///   are resolved at once, in arrival order (a reply received by the deadline matches).
    /// - An id already known with a byte-identical body returns ``RegistrationStatus/alreadyRegistered``
    ///   and changes nothing (a redelivered intake message).
    /// - An id already known with another body throws ``CorrelationError/conflictingRegistration(correlationId:existingState:)``.
    /// - A request already past its deadline is due at once: it times out at the next
    ///   ``advance(to:limit:)``, which ``CorrelationEngine`` makes in the same actor turn (room
    ///   in its result buffer permitting). Not here: an intake backlog of late requests would
    ///   otherwise make timeout results past the buffer's bound.
    public mutating func register(
        _ request: CorrelationRequest, now: Int64
    ) throws(CorrelationError) -> CorrelationStep {
        var step = CorrelationStep()
        step.registration = try register(request, now: now, into: &step)
        return step
    }

    /// As ``register(_:now:)``, appending to `step` (for batches); returns what happened to the
    /// request. On a throw, `step` and the core are unchanged.
    public mutating func register(
        _ request: CorrelationRequest, now: Int64, into step: inout CorrelationStep
    ) throws(CorrelationError) -> RegistrationStatus {
        let bodyHash = BodyHash.hash(request.body)
        let idHash = Self.idHash(request.correlationId)
        if let existing = lookup(request.correlationId, hash: idHash) {
            let slot = slots[Int(existing)]
            guard slot.bodyHash == bodyHash else {
                throw .conflictingRegistration(
                    correlationId: request.correlationId, existingState: persistedState(slot.state))
            }
            return .alreadyRegistered
        }
        let deadline = request.timestampUtc.addingReportingOverflow(
            configuration.timeouts.timeout(for: request.operation))
        let persisted = PersistedRequest(
            request: request, bodyHash: bodyHash, deadline: deadline.overflow ? .max : deadline.partialValue,
            state: .outstanding)
        let slot = try insertSlot(persisted, recovered: false, idHash: idHash)
        if recordsEffects { step.effects.append(.insert(persisted)) }

        if !held.isEmpty, let replies = held.removeValue(forKey: Array(request.correlationId.utf8)) {
            heldReplyCount -= replies.count
            for heldReply in replies {
                resolve(
                    slot: slot, reply: heldReply.reply, receivedAt: heldReply.receivedAt, now: now,
                    into: &step)
            }
        }
        if slots[Int(slot)].state == .outstanding {
            timers.insert(slot: slot, fireAt: fireTime(ofDeadline: persisted.deadline))
        }
        return .registered
    }

    // MARK: Intake and backlog signals

    /// The daemon reports that its intake queue holds a backlog: held replies do not expire
    /// while it is behind, because their request may still be in that backlog.
    public mutating func intakeFellBehind() {
        intakeCaughtUpAt = nil
    }

    /// The daemon reports that intake has caught up at `now`: a held reply now expires at
    /// max(its arrival, `now`) + ``CorrelationConfiguration/unmatchedGrace``.
    public mutating func intakeCaughtUp(now: Int64) {
        if intakeCaughtUpAt == nil { intakeCaughtUpAt = now }
    }

    /// The daemon reports that the replies waiting in the broker at startup have all been
    /// received: the startup grace ends now. Recovered requests past their deadline time out at
    /// the next ``advance(to:limit:)``.
    public mutating func replyBacklogDrained(now: Int64) {
        endStartupGrace()
    }

    // MARK: Helpers

    func fireTime(ofDeadline deadline: Int64) -> Int64 {
        deadline == .max ? .max : deadline + 1
    }

    func persistedState(_ state: RequestSlot.State) -> PersistedRequest.State {
        switch state {
        case .matched: .matched
        case .timedOut: .timedOut
        case .outstanding, .free: .outstanding
        }
    }

    mutating func makeResultID() -> CorrelationResult.ID {
        defer { nextResultID += 1 }
        return CorrelationResult.ID(rawValue: nextResultID)
    }

    /// The request in `slot` as a value, with a copy of its body.
    func requestValue(of slot: RequestSlot) -> CorrelationRequest {
        CorrelationRequest(
            correlationId: slot.correlationId, operation: names[Int(slot.operation)],
            contentType: names[Int(slot.contentType)], timestampUtc: slot.timestampUtc,
            ticketId: slot.ticketId, body: slot.body)
    }

    /// The request in `slot` as a value, for the result that resolves it: the body moves into
    /// the value (no copy) and the slot keeps only the ids, as a tombstone does.
    mutating func takeRequest(slot: Int32, correlationId: String? = nil) -> CorrelationRequest {
        // Field by field rather than through requestValue(of:): that call made the compiler copy
        // the whole core (a retain per table) for every resolution.
        let index = Int(slot)
        let id = correlationId ?? slots[index].correlationId
        let ticketId = slots[index].ticketId
        return CorrelationRequest(
            correlationId: id, operation: names[Int(slots[index].operation)],
            contentType: names[Int(slots[index].contentType)], timestampUtc: slots[index].timestampUtc,
            ticketId: ticketId, body: slots[index].takeBody())
    }

    mutating func intern(_ name: String) throws(CorrelationError) -> UInt16 {
        if let known = nameIndex[name] { return known }
        guard names.count < Int(UInt16.max) else { throw .tooManyDistinctNames(name) }
        let index = UInt16(names.count)
        names.append(name)
        nameIndex[name] = index
        return index
    }
}
