/// Compares the relay's results with a run's manifest.
///
/// - Per correlation id of the manifest, the outcomes found must be the outcomes owed, as a
///   multiset (the order is the relay's business, and two owed outcomes can be written by
///   different tasks). An outcome found fewer times than owed is missing; found more often,
///   the surplus is unexpected unless it is redelivered and repeats an owed outcome: the relay
///   delivers at least once, and a record written again after a crash or a redelivery is
///   marked `redelivered`.
/// - A record whose id is not in the manifest but starts with `<prefix>-` is unexpected; other
///   ids belong to other runs writing the same file and are ignored.
/// - `invalid` records with a null id are the anonymous malformed replies (published without
///   `correlation_id`, body not JSON). They cannot be attributed, so they are counted: only
///   when the run sent any, only records emitted since the run started; fewer than owed is
///   a mismatch, and so are more (not redelivered) than owed, so a concurrent run with
///   anonymous replies on the same file makes this count unreliable.
public enum ResultChecker {
    /// Checks `results` (a file sink's records) against `manifest`.
    public static func check(manifest: RunManifest, results: [ObservedResult]) -> CheckReport {
        var report = CheckReport()
        let prefix = manifest.header.prefix + "-"
        var byId: [String: [ObservedResult]] = [:]
        var anonymous: [ObservedResult] = []
        for result in results {
            guard let id = result.correlationId else {
                if result.outcome == .invalid,
                    (result.emittedAt ?? .max) >= manifest.header.startedAt
                {
                    anonymous.append(result)
                } else {
                    report.ignoredRecords += 1
                }
                continue
            }
            byId[id, default: []].append(result)
        }

        var known = Set<String>()
        report.expectedIds = manifest.entries.count
        for entry in manifest.entries {
            known.insert(entry.correlationId)
            let found = byId[entry.correlationId] ?? []
            let (missing, unexpected, extras) = compare(expected: entry.expected, found: found)
            report.allowedExtras += extras
            if missing.isEmpty && unexpected.isEmpty {
                report.matchingIds += 1
            } else {
                report.mismatches.append(
                    CheckMismatch(
                        correlationId: entry.correlationId, fate: entry.fate, expected: entry.expected,
                        found: found.map(label), missing: missing, unexpected: unexpected))
            }
        }
        for (id, found) in byId.sorted(by: { $0.key < $1.key }) where !known.contains(id) {
            guard id.hasPrefix(prefix) else {
                report.ignoredRecords += found.count
                continue
            }
            report.mismatches.append(
                CheckMismatch(
                    correlationId: id, fate: nil, expected: [], found: found.map(label), missing: [],
                    unexpected: found.map(\.outcome)))
        }

        let owed = manifest.anonymousInvalidCount
        report.anonymousInvalidExpected = owed
        if owed == 0 {
            // The run sent no message without an id: no such record can be its own.
            report.ignoredRecords += anonymous.count
        } else {
            report.anonymousInvalidFound = anonymous.count
            let expected = Array(repeating: ResultOutcome.invalid, count: owed)
            let (missing, unexpected, extras) = compare(expected: expected, found: anonymous)
            report.allowedExtras += extras
            if !missing.isEmpty || !unexpected.isEmpty {
                report.mismatches.append(
                    CheckMismatch(
                        correlationId: nil, fate: .malformed, expected: expected, found: anonymous.map(label),
                        missing: missing, unexpected: unexpected))
            }
        }
        return report
    }

    /// The owed outcomes not found, the found ones not owed, and how many redelivered
    /// repeats were allowed.
    static func compare(
        expected: [ResultOutcome], found: [ObservedResult]
    ) -> (missing: [ResultOutcome], unexpected: [ResultOutcome], allowedExtras: Int) {
        var missing: [ResultOutcome] = []
        var unexpected: [ResultOutcome] = []
        var extras = 0
        for outcome in ResultOutcome.allCases {
            let owed = expected.count { $0 == outcome }
            let all = found.count { $0.outcome == outcome }
            let fresh = found.count { $0.outcome == outcome && !$0.redelivered }
            if all < owed { missing += Array(repeating: outcome, count: owed - all) }
            if owed == 0 {
                unexpected += Array(repeating: outcome, count: all)
            } else {
                let surplus = max(0, fresh - owed)
                unexpected += Array(repeating: outcome, count: surplus)
                extras += max(0, all - owed) - surplus
            }
        }
        return (missing, unexpected, extras)
    }

    private static func label(_ result: ObservedResult) -> String {
        result.outcome.rawValue + (result.redelivered ? "*" : "")
    }
}
