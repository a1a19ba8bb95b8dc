// Rebuilding the core from the store after a restart.
extension CorrelationCore {
    /// Rebuilds a core from the store's rows at `now`.
    ///
    /// - Outstanding requests are scheduled as new ones are: they time out once the reply
    ///   watermark passes their deadline. Both watermarks start unknown, so replies that waited
    ///   in the broker while the relay was down are read (and matched by their own timestamps)
    ///   before anything times out.
    /// - Tombstones still in retention are kept; if any expired, a `purgeResolved` effect drops
    ///   them from the store.
    /// - A timeout that was decided but not confirmed before the crash is emitted again (same
    ///   decision, ``CorrelationResult/afterRecovery`` set), in the returned step.
    ///
    /// A matched tombstone that was not confirmed keeps its request body, so that the broker's
    /// redelivery of the matching reply yields a complete `matched` result again. (With the
    /// store, ``CorrelationEngine`` writes a decision confirmed, with its record: unconfirmed
    /// tombstones come from stores an earlier version wrote, or from a bare core's user.)
    public static func recovering(
        _ rows: some Sequence<PersistedRequest>, configuration: CorrelationConfiguration, now: Int64
    ) throws(CorrelationError) -> (core: CorrelationCore, step: CorrelationStep) {
        var recovery = Recovery(configuration: configuration, now: now)
        for row in rows { try recovery.add(row) }
        return recovery.finish()
    }

    /// A core being rebuilt one row at a time, as the store reads them (``recovering(_:configuration:now:)``
    /// row by row): a restart then never holds the whole table as rows and as a core at once.
    public struct Recovery: Sendable {
        private var core: CorrelationCore
        private var step = CorrelationStep()
        /// Tombstones until every row is in: the store's rows come in key order, the queue
        /// wants purge order.
        private var retained: [(tombstone: Tombstone, deadline: Int64)] = []
        private var expired = false
        private let now: Int64

        /// The settings the core is rebuilt with.
        public var configuration: CorrelationConfiguration { core.configuration }

        public init(configuration: CorrelationConfiguration, now: Int64) {
            core = CorrelationCore(configuration: configuration, now: now)
            self.now = now
        }

        /// Adds one row of the store.
        public mutating func add(_ row: PersistedRequest) throws(CorrelationError) {
            switch row.state {
            case .outstanding:
                let slot = try core.insertSlot(row, recovered: true)
                core.timers.insert(slot: slot, fireAt: core.fireTime(ofDeadline: row.deadline))
            case .matched, .timedOut:
                let resolvedAt = row.resolvedAt ?? now
                let purgeAt = resolvedAt.addingReportingOverflow(core.configuration.retention).partialValue
                if row.state == .timedOut && !row.confirmed {
                    // Resolved in the store already: the store's purge must wait for its record.
                    core.resolvedAwaitingRecord[CorrelationCore.idHash(row.request.correlationId)] =
                        resolvedAt
                    step.results.append(
                        CorrelationResult(
                            id: core.makeResultID(), outcome: .timeout,
                            correlationId: row.request.correlationId,
                            request: row.request, deadline: row.deadline, reply: nil, resolvedAt: resolvedAt,
                            replyReceivedAt: nil,
                            afterRecovery: true,
                            needsConfirm: true))
                }
                if purgeAt <= now {
                    expired = true
                    return
                }
                let idHash = CorrelationCore.idHash(row.request.correlationId)
                var flags: Tombstone.Flags = [.recovered]
                if row.state == .matched { flags.insert(.matched) }
                if row.confirmed { flags.insert(.recorded) }
                // The timeout emitted again above waits for its record as a new one does.
                if row.state == .timedOut && !row.confirmed { flags.insert(.awaitingRecord) }
                if row.state == .matched && !row.confirmed && !row.request.body.isEmpty {
                    core.unrecordedBodies[idHash] = row.request.body
                }
                let tombstone = Tombstone(
                    idHash: idHash, timestampUtc: row.request.timestampUtc, purgeAt: purgeAt,
                    deadlineOffset: 0,
                    bodyHash: Tombstone.short(row.bodyHash), replyHash: Tombstone.short(row.replyHash ?? 0),
                    kind: try core.intern(
                        operation: row.request.operation, contentType: row.request.contentType),
                    flags: flags)
                retained.append((tombstone, row.deadline))
            }
        }

        /// The rebuilt core, and what recovery emits (timeouts decided again, a purge).
        public consuming func finish() -> (core: CorrelationCore, step: CorrelationStep) {
            core.tombstones.reserveCapacity(adding: retained.count)
            retained.sort { $0.tombstone.purgeAt < $1.tombstone.purgeAt }
            for (tombstone, deadline) in retained { core.tombstones.append(tombstone, deadline: deadline) }
            retained = []
            if expired { step.effects.append(.purgeResolved(through: core.purgeHorizon(at: now))) }
            return (core, step)
        }
    }
}
