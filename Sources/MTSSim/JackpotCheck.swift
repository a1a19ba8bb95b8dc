import MTSSimulation

/// Compares the relay's jackpot records and the Bet Engine's POST counts with the fates.
struct JackpotCheck {
    let ids: [(id: String, fate: JackpotFate)]
    let records: [[String: Any]]
    let posts: [String: Int]

    private var byId: [String: [[String: Any]]] {
        Dictionary(grouping: records) { $0["correlationId"] as? String ?? "-" }
    }

    private static let finals: Set<String> = ["matched", "timeout", "invalid"]

    /// Every id has a final record.
    var isComplete: Bool {
        let grouped = byId
        return ids.allSatisfy { item in
            grouped[item.id]?.contains { Self.finals.contains($0["outcome"] as? String ?? "") } == true
        }
    }

    /// One line per id whose records or POST count are not what its fate owes.
    var mismatches: [String] {
        let grouped = byId
        var lines: [String] = []
        for (id, fate) in ids {
            let records = grouped[id] ?? []
            let finals = records.filter { Self.finals.contains($0["outcome"] as? String ?? "") }
            let fresh = finals.filter { $0["redelivered"] as? Bool != true }
            let count = posts[id] ?? 0
            if count > fate.allowedPosts {
                lines.append("\(id): POSTed \(count) times (\(fate.rawValue) allows \(fate.allowedPosts))")
            }
            guard let final = finals.first else {
                lines.append("\(id): no final record (owed \(fate.expectedOutcome))")
                continue
            }
            if fresh.count > 1 { lines.append("\(id): \(fresh.count) final records") }
            let outcome = final["outcome"] as? String ?? "?"
            if outcome != fate.expectedOutcome {
                lines.append("\(id): \(outcome), owed \(fate.expectedOutcome)")
            } else if let status = fate.expectedStatus, final["status"] as? String != status {
                lines.append("\(id): status \(final["status"] as? String ?? "null"), owed \(status)")
            } else if outcome == "timeout",
                (final["error"] as? String)?.hasPrefix("outcome unknown") != true
            {
                lines.append("\(id): timeout without 'outcome unknown' in error")
            }
        }
        return lines
    }

    var isMatch: Bool { isComplete && mismatches.isEmpty }

    /// The summary the demo prints.
    func summary(refusedSignatures: Int) -> [String] {
        var outcomes: [String: Int] = [:]
        for record in records {
            var key = record["outcome"] as? String ?? "?"
            if key == "matched", let status = record["status"] as? String { key += "/\(status)" }
            if let http = record["httpStatus"] as? Int { key += " (HTTP \(http))" }
            outcomes[key, default: 0] += 1
        }
        let totalPosts = posts.values.reduce(0, +)
        let twice = ids.filter { (posts[$0.id] ?? 0) > $0.fate.allowedPosts }.count
        var lines = [
            "jackpot results: "
                + outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "  "),
            "Bet Engine: \(totalPosts) POSTs for \(ids.count) requests (\(refusedSignatures) refused signatures); "
                + "POSTed more often than allowed: \(twice)",
        ]
        let wrong = mismatches
        lines += wrong.prefix(20)
        lines.append(
            isMatch
                ? "jackpot check: PASS (\(ids.count)/\(ids.count) correlation ids as owed, none POSTed twice)"
                : "jackpot check: FAIL (\(wrong.count) mismatching\(isComplete ? "" : ", records missing"))")
        return lines
    }
}
