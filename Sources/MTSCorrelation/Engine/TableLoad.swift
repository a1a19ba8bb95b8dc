/// The pending table being rebuilt while the store reads its rows, one at a time: a restart
/// never holds the table as rows and as a core at once.
///
/// `@unchecked Sendable`: the store's writer thread alone calls ``add(_:)``, all before it
/// reports the store open; the engine's initialiser reads the result only after that report (a
/// continuation or a semaphore: a happens-before edge). Never touched by both at once.
final class TableLoad: @unchecked Sendable {
    private var recovery: CorrelationCore.Recovery
    /// The first row the core refused (too many distinct names); later rows are skipped.
    private var failure: CorrelationError?
    /// What an active upstream needs after a restart (``CorrelationEngine/recoveredRequests``).
    private(set) var upstreamRows: [PersistedRequest] = []

    init(configuration: CorrelationConfiguration, now: Int64) {
        recovery = CorrelationCore.Recovery(configuration: configuration, now: now)
    }

    func add(_ row: PersistedRequest) {
        guard failure == nil else { return }
        if row.state == .outstanding || (row.state == .matched && !row.confirmed && row.answer != nil) {
            upstreamRows.append(row)
        }
        do throws(CorrelationError) {
            try recovery.add(row)
        } catch {
            failure = error
        }
    }

    /// The rebuilt core and what recovery emits, or the first refusal.
    func finish() throws(CorrelationError) -> (core: CorrelationCore, step: CorrelationStep) {
        if let failure { throw failure }
        let recovery = recovery
        self.recovery = CorrelationCore.Recovery(configuration: recovery.configuration, now: 0)
        return recovery.finish()
    }
}
