extension PersistenceEffect {
    /// `effects` with each request's consecutive changes written as one where the row allows:
    /// a resolve into the insert before it (the row is inserted resolved), a confirm into the
    /// resolve or resolved insert before it (the row is resolved confirmed, without its body).
    ///
    /// Applied in one transaction, the result leaves every row as `effects` would: the changes
    /// of different requests touch different rows, so moving one request's later change up to
    /// its earlier one changes nothing the commit shows. A change of another kind in between
    /// (sent, answer) ends a request's folding, and a purge ends every request's, so no change moves past it.
    ///
    /// Why: a request registered, matched and recorded within one group commit (a backlog
    /// drained, the pipelined intake) was a row written three times, and a reply matched and
    /// recorded in one commit an update made twice; every write is a row version and its index
    /// entries (PostgreSQL) or a b-tree update (SQLite).
    static func folded(_ effects: [PersistenceEffect]) -> [PersistenceEffect] {
        var folded: [PersistenceEffect] = []
        folded.reserveCapacity(effects.count)
        // Where each request's last insert or resolve is in `folded`, while it can take more.
        var open: [String: Int] = [:]
        for effect in effects {
            guard let id = effect.correlationId else {
                // A purge touches rows of every request: nothing moves past it.
                open.removeAll()
                folded.append(effect)
                continue
            }
            if let index = open[id], let merged = folded[index].taking(effect) {
                folded[index] = merged
                continue
            }
            switch effect {
            case .insert, .resolve:
                open[id] = folded.count
            case .confirm, .markSent, .recordAnswer, .purgeResolved:
                open[id] = nil
            }
            folded.append(effect)
        }
        return folded
    }

    /// This change and `next` (the same request's next one) as one change, when one can say both.
    private func taking(_ next: PersistenceEffect) -> PersistenceEffect? {
        switch (self, next) {
        case (.insert(var row), .resolve(_, let state, let resolvedAt, let replyHash, let confirmed))
        where row.state == .outstanding:
            row.state = state
            row.resolvedAt = resolvedAt
            row.replyHash = replyHash
            if confirmed { row.dropForConfirm() }
            return .insert(row)
        case (.insert(var row), .confirm) where row.state != .outstanding && !row.confirmed:
            row.dropForConfirm()
            return .insert(row)
        case (.resolve(let id, let state, let resolvedAt, let replyHash, false), .confirm)
        where state != .outstanding:
            return .resolve(
                correlationId: id, state: state, resolvedAt: resolvedAt, replyHash: replyHash, confirmed: true
            )
        default:
            return nil
        }
    }
}

extension PersistedRequest {
    /// What a confirm does to a resolved row: confirmed, without its body and answer.
    fileprivate mutating func dropForConfirm() {
        confirmed = true
        request.body = []
        answer = nil
    }
}
