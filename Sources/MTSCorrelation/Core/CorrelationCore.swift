import DequeModule

/// The engine's decisions as a pure value: state plus event in, results and effects out.
///
/// Time is an argument (`now`, ms since the Unix epoch), so every decision is deterministic.
/// The core never scans its table: requests are found by a hash index, deadlines live in an
/// indexed heap (O(log n) per operation), and tombstones in a queue in purge order.
/// Unknown replies wait in a separate, small heap for their grace period.
///
/// Decisions are made in event time, from the messages' own timestamps, never from when the
/// relay happened to read a queue:
/// - A request's deadline is `timestampUtc + timeout(operation)`, inclusive.
/// - A reply stamped at or before the deadline (plus ``CorrelationConfiguration/clockSkewTolerance``)
///   is in time: `matched`, however late it is read.
/// - A reply stamped later makes its request `timeout` and is itself `late`.
/// - A request without a reply times out once the **reply watermark** passes its deadline (plus
///   the tolerance): once no reply stamped in time can still come.
/// - A reply for an unknown id is `unmatched` once the **intake watermark** passes its
///   timestamp plus ``CorrelationConfiguration/unmatchedGrace``.
///
/// The daemon reports each queue's watermark (``advanceWatermark(_:queue:to:now:)``); see
/// ``WatermarkTracker``. `now` (the relay's clock) stamps results, bounds watermarks and drives
/// tombstone purges only.
public struct CorrelationCore: Sendable {
    /// The settings the core was made with.
    public let configuration: CorrelationConfiguration

    /// Outstanding requests.
    var slots: [RequestSlot] = []
    var freeSlots: [Int32] = []
    /// Correlation id → slot, for outstanding requests.
    var index = SlotIndex()
    /// Outstanding requests' deadlines, keyed by the reply watermark that fires them
    /// (deadline + clock-skew tolerance + 1).
    var timers = DeadlineHeap()
    /// Resolved requests in retention, oldest purge first. A queue, not the heap: the retention
    /// is one constant, so purges come due in the order requests resolve, and a resolution costs
    /// an append instead of a heap insertion. (Were the wall clock to step back, a purge could
    /// only come a little late.)
    var tombstones = TombstoneTable()
    /// Request bodies of matched tombstones recovered unconfirmed (a store an earlier version
    /// wrote), by id hash: the redelivery of the matching reply makes a complete `matched`
    /// result again. Dropped when the record is queued or the tombstone purged.
    var unrecordedBodies: [UInt64: [UInt8]] = [:]
    /// Timeouts recovered resolved but unconfirmed (a store an earlier version wrote), by id
    /// hash → resolution time, until their record is queued: the store's rows of these are
    /// resolved already, so the store's purge stops short of them (``purgeHorizon(at:)``).
    var resolvedAwaitingRecord: [UInt64: Int64] = [:]

    /// Interned operation and content-type names.
    var names: [String] = []
    var nameIndex: [String: UInt16] = [:]
    /// Interned (operation, content type) pairs, as slots and tombstones name them.
    var kinds: [RequestKind] = []
    var kindIndex: [RequestKind: UInt16] = [:]

    /// Replies for unknown correlation ids, waiting for their request.
    var held: [[UInt8]: [HeldReply]] = [:]
    var heldTimers = MinHeap<HeldTimer>()
    var heldSequence: UInt64 = 0
    /// Outstanding requests by age, for ``oldestOutstandingTimestamp()``.
    var ages = MinHeap<OutstandingAgeEntry>()
    /// The reply queues' event-time progress: decides timeouts.
    public internal(set) var replyWatermarks: WatermarkTracker
    /// The intake queues' event-time progress: decides `unmatched`.
    public internal(set) var intakeWatermarks: WatermarkTracker

    var nextResultID: UInt64 = 1

    /// Requests waiting for a reply.
    public internal(set) var outstandingCount = 0
    /// Resolved requests kept for retention.
    public var tombstoneCount: Int { tombstones.count }
    /// Replies waiting through their unmatched grace.
    public internal(set) var heldReplyCount = 0

    /// Whether a tombstone's purge waits until the record of its decision's result is queued
    /// for the log (``markRecorded(_:)``). The store writes in order, so the record, with the
    /// decision, then reaches the store before the purge: otherwise a crash between the purge's
    /// commit and the record's would lose the tombstone, and the broker's redelivery of its reply
    /// would find nothing (`unmatched`). A tombstone whose record is late stays, looked at again
    /// at every later purge. ``CorrelationEngine`` sets it when it has a store; off by default,
    /// for users of the bare core that never mark records.
    public var purgeWaitsForRecord = false

    /// Whether steps carry ``CorrelationStep/effects``. Without a store nobody reads them, and
    /// building them (a copy of every request) is wasted work.
    public let recordsEffects: Bool

    /// An empty core. Both watermarks are unknown until their queues report.
    ///
    /// - Parameter now: unused; kept so that every constructor takes the clock.
    /// - Parameter recordsEffects: false when nothing persists the effects (no store).
    public init(configuration: CorrelationConfiguration, now: Int64, recordsEffects: Bool = true) {
        self.configuration = configuration
        self.recordsEffects = recordsEffects
        replyWatermarks = WatermarkTracker(queues: configuration.replyQueues)
        intakeWatermarks = WatermarkTracker(queues: configuration.intakeQueues)
    }

    /// The earliest relay-clock instant at which ``advance(to:limit:purgeLimit:)`` has something
    /// to do, or nil: `Int64.min` when a watermark already passed a deadline or a grace (only
    /// room in the result buffer held it back), else the next tombstone purge. Timeouts and
    /// `unmatched` otherwise wait for a watermark to move, not for the clock.
    public var nextWake: Int64? {
        if hasDueTimers { return .min }
        return tombstones.first?.purgeAt
    }

    /// Whether a watermark has passed a request's deadline or a held reply's grace.
    var hasDueTimers: Bool {
        if let first = timers.first, let mark = replyWatermarks.combined, first.fireAt <= mark { return true }
        if let first = heldTimers.first, let mark = intakeWatermarks.combined, first.expiresAt <= mark {
            return true
        }
        return false
    }

    /// Whether `correlationId` is outstanding or in retention.
    public func isKnown(_ correlationId: String) -> Bool {
        find(correlationId) != nil
    }

    /// Where `correlationId` stands, if known.
    public func state(of correlationId: String) -> PersistedRequest.State? {
        switch find(correlationId) {
        case .outstanding: .outstanding
        case .tombstone(let position): tombstones[position].flags.contains(.matched) ? .matched : .timedOut
        case nil: nil
        }
    }

    // MARK: Registration

    /// Registers a request.
    ///
    /// - A new id becomes outstanding and yields an `insert` effect. Replies already held for it
    ///   are resolved at once, in timestamp order (a reply stamped by the deadline matches).
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
        switch find(request.correlationId, hash: idHash) {
        case .outstanding(let slot):
            guard slots[Int(slot)].bodyHash == bodyHash else {
                throw .conflictingRegistration(
                    correlationId: request.correlationId, existingState: .outstanding)
            }
            return .alreadyRegistered
        case .tombstone(let position):
            let tombstone = tombstones[position]
            guard tombstone.bodyHash == Tombstone.short(bodyHash) else {
                throw .conflictingRegistration(
                    correlationId: request.correlationId,
                    existingState: tombstone.flags.contains(.matched) ? .matched : .timedOut)
            }
            return .alreadyRegistered
        case nil:
            break
        }
        let persisted = PersistedRequest(
            request: request, bodyHash: bodyHash, deadline: configuration.deadline(of: request),
            state: .outstanding)
        let slot = try insertSlot(persisted, recovered: false, idHash: idHash)
        if recordsEffects { step.effects.append(.insert(persisted)) }

        var known = KnownRequest.outstanding(slot)
        if !held.isEmpty, let replies = held.removeValue(forKey: Array(request.correlationId.utf8)) {
            heldReplyCount -= replies.count
            // In event-time order (stable): an in-time reply read after one stamped past the
            // deadline (or in the future) still matches.
            for heldReply in replies.sorted(by: { $0.reply.timestampUtc < $1.reply.timestampUtc }) {
                known = resolve(
                    known, reply: heldReply.reply, receivedAt: heldReply.receivedAt, now: now, into: &step)
            }
        }
        if case .outstanding = known {
            timers.insert(slot: slot, fireAt: fireTime(ofDeadline: persisted.deadline))
        }
        return .registered
    }

    // MARK: Watermarks

    /// Moves `queue`'s watermark of `source` to `value` (clamped to `now`, never backwards).
    /// What it makes due fires at the next ``advance(to:limit:purgeLimit:)``.
    ///
    /// - Returns: whether the input's watermark (the lowest of its queues') moved.
    @discardableResult
    public mutating func advanceWatermark(
        _ source: WatermarkSource, queue: String, to value: Int64, now: Int64
    ) -> Bool {
        switch source {
        case .replies: replyWatermarks.advance(queue: queue, to: value, now: now)
        case .intake: intakeWatermarks.advance(queue: queue, to: value, now: now)
        }
    }

    // MARK: Helpers

    /// The reply watermark at which a request with `deadline` times out: once it has passed
    /// the deadline plus the clock-skew tolerance.
    func fireTime(ofDeadline deadline: Int64) -> Int64 {
        let inTimeUntil = deadline.addingReportingOverflow(configuration.clockSkewTolerance)
        return inTimeUntil.overflow || inTimeUntil.partialValue == .max ? .max : inTimeUntil.partialValue + 1
    }

    /// Whether a reply stamped `timestamp` answers a request with `deadline` in time.
    func isInTime(_ timestamp: Int64, deadline: Int64) -> Bool {
        timestamp < fireTime(ofDeadline: deadline)
    }

    mutating func makeResultID() -> CorrelationResult.ID {
        defer { nextResultID += 1 }
        return CorrelationResult.ID(rawValue: nextResultID)
    }

    /// The request in `slot` as a value, with a copy of its body.
    func requestValue(of slot: RequestSlot) -> CorrelationRequest {
        let kind = kinds[Int(slot.kind)]
        return CorrelationRequest(
            correlationId: slot.correlationId, operation: names[Int(kind.operation)],
            contentType: names[Int(kind.contentType)], timestampUtc: slot.timestampUtc,
            ticketId: slot.ticketId, body: slot.body)
    }

    /// What a tombstone still knows of its request, for the results of later replies: no ticket
    /// id, and no body (both went out with the `matched` or `timeout` record), except a body kept
    /// for an unrecorded recovered match (``unrecordedBodies``).
    func requestValue(ofTombstone position: Int, correlationId: String) -> CorrelationRequest {
        let tombstone = tombstones[position]
        let kind = kinds[Int(tombstone.kind)]
        return CorrelationRequest(
            correlationId: correlationId, operation: names[Int(kind.operation)],
            contentType: names[Int(kind.contentType)], timestampUtc: tombstone.timestampUtc,
            ticketId: nil, body: unrecordedBodies.isEmpty ? [] : unrecordedBodies[tombstone.idHash] ?? [])
    }

    /// The request in `slot` as a value, for the result that resolves it: the body moves into
    /// the value (no copy); the slot is freed next.
    mutating func takeRequest(slot: Int32, correlationId: String? = nil) -> CorrelationRequest {
        // Field by field rather than through requestValue(of:): that call made the compiler copy
        // the whole core (a retain per table) for every resolution.
        let index = Int(slot)
        let id = correlationId ?? slots[index].correlationId
        let ticketId = slots[index].ticketId
        let kind = kinds[Int(slots[index].kind)]
        return CorrelationRequest(
            correlationId: id, operation: names[Int(kind.operation)],
            contentType: names[Int(kind.contentType)], timestampUtc: slots[index].timestampUtc,
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

    /// The index of a request's (operation, content type) pair, interned on first sight.
    mutating func intern(operation: String, contentType: String) throws(CorrelationError) -> UInt16 {
        let kind = RequestKind(operation: try intern(operation), contentType: try intern(contentType))
        if let known = kindIndex[kind] { return known }
        guard kinds.count < Int(UInt16.max) else {
            throw .tooManyDistinctNames("\(operation) \(contentType)")
        }
        let index = UInt16(kinds.count)
        kinds.append(kind)
        kindIndex[kind] = index
        return index
    }
}

/// A request's operation and content type, as indices into the core's interned names.
struct RequestKind: Sendable, Hashable {
    var operation: UInt16
    var contentType: UInt16
}
