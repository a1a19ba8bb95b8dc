@testable import MTSCorrelation

/// What a store's rows become under persistence effects, as a dictionary: the model the
/// backends are held to (by the simulation, and by the folding tests).
enum ModelStore {
    static func apply(_ effect: PersistenceEffect, to store: inout [String: PersistedRequest]) {
        switch effect {
        case .insert(let row):
            store[row.request.correlationId] = row
        case .resolve(let id, let state, let resolvedAt, let replyHash, let confirmed):
            guard var row = store[id] else { return }
            row.state = state
            row.resolvedAt = resolvedAt
            row.replyHash = replyHash
            row.confirmed = false
            store[id] = row
            if confirmed { apply(.confirm(correlationId: id), to: &store) }
        case .confirm(let id):
            guard var row = store[id], row.state != .outstanding else { return }
            row.confirmed = true
            row.request.body = []
            row.answer = nil
            store[id] = row
        case .purgeResolved(let through):
            // As the SQL: a resolved row without a resolution time is not matched by `<=`.
            store = store.filter { _, row in
                row.state == .outstanding || row.resolvedAt.map { $0 > through } ?? true
            }
        case .markSent(let id):
            store[id]?.sent = true
        case .recordAnswer(let id, let answer):
            store[id]?.answer = answer
        }
    }

    /// The rows `effects` leave, applied in order to `rows`.
    static func applying(
        _ effects: [PersistenceEffect], to rows: [String: PersistedRequest] = [:]
    ) -> [String: PersistedRequest] {
        var store = rows
        for effect in effects { apply(effect, to: &store) }
        return store
    }
}
