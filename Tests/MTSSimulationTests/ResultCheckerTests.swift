import Foundation
import MTSSimulation
import Testing

@Suite("mts-sim check")
struct ResultCheckerTests {
    static let startedAt: Int64 = 1_795_000_000_000

    static func entry(_ id: String, _ fate: Fate, anonymous: Bool = false) -> ManifestEntry {
        ManifestEntry(
            correlationId: id, kind: .ticketCancel, fate: fate,
            expected: fate.expectedOutcomes(anonymousMalformed: anonymous),
            sentAt: startedAt, dueAt: startedAt + 10, answer: .accepted,
            malformation: anonymous ? .anonymous : nil)
    }

    static func manifest(_ entries: [ManifestEntry]) -> RunManifest {
        RunManifest(
            header: ManifestHeader(
                prefix: "run", seed: 1, startedAt: startedAt, finishedAt: startedAt + 5, options: ""),
            entries: entries)
    }

    static func result(
        _ outcome: ResultOutcome, _ id: String?, redelivered: Bool = false, at: Int64 = startedAt + 1
    )
        -> ObservedResult
    {
        ObservedResult(outcome: outcome, correlationId: id, redelivered: redelivered, emittedAt: at)
    }

    static let manifest = manifest([
        entry("run-1", .normal), entry("run-2", .late), entry("run-3", .duplicate),
        entry("run-4", .unsolicited),
        entry("run-5", .malformed), entry("run-6", .drop),
    ])

    static let complete: [ObservedResult] = [
        result(.matched, "run-1"), result(.timeout, "run-2"), result(.late, "run-2"),
        result(.matched, "run-3"),
        result(.duplicate, "run-3"), result(.unmatched, "run-4"), result(.invalid, "run-5"),
        result(.matched, "run-5"),
        result(.timeout, "run-6"),
    ]

    @Test func completeResultsMatch() {
        let report = ResultChecker.check(manifest: Self.manifest, results: Self.complete.reversed())
        #expect(report.isMatch)
        #expect(report.matchingIds == 6 && report.expectedIds == 6)
        #expect(report.summary.hasPrefix("OK: 6/6"))
    }

    @Test func aMissingRecordIsNamed() {
        let results = Self.complete.filter { !($0.correlationId == "run-2" && $0.outcome == .late) }
        let report = ResultChecker.check(manifest: Self.manifest, results: results)
        #expect(!report.isMatch)
        #expect(
            report.mismatches.map(\.description) == [
                "run-2 (late): missing late; expected [timeout, late], found [timeout]"
            ])
        #expect(report.summary.hasPrefix("MISMATCH: 5/6"))
    }

    @Test func surplusIsUnexpectedUnlessARedeliveredRepeat() {
        let redeliveredRepeat = ResultChecker.check(
            manifest: Self.manifest,
            results: Self.complete + [Self.result(.matched, "run-1", redelivered: true)])
        #expect(redeliveredRepeat.isMatch)
        #expect(redeliveredRepeat.allowedExtras == 1)

        let freshRepeat = ResultChecker.check(
            manifest: Self.manifest, results: Self.complete + [Self.result(.matched, "run-1")])
        #expect(
            freshRepeat.mismatches.map(\.description) == [
                "run-1 (normal): unexpected matched; expected [matched], found [matched, matched]"
            ])

        // Redelivered, but an outcome the id was never owed.
        let redeliveredOther = ResultChecker.check(
            manifest: Self.manifest,
            results: Self.complete + [Self.result(.duplicate, "run-1", redelivered: true)])
        #expect(redeliveredOther.mismatches.map(\.unexpected) == [[.duplicate]])

        // A redelivered record stands in for the one lost with the crash.
        let onlyRedelivered = Self.complete.map { record in
            record.correlationId == "run-6" ? Self.result(.timeout, "run-6", redelivered: true) : record
        }
        #expect(ResultChecker.check(manifest: Self.manifest, results: onlyRedelivered).isMatch)
    }

    @Test func otherRunsAreIgnoredButThePrefixIsNot() {
        let report = ResultChecker.check(
            manifest: Self.manifest,
            results: Self.complete + [
                Self.result(.matched, "other-1"), Self.result(.invalid, nil), Self.result(.matched, "run-99"),
            ])
        #expect(report.ignoredRecords == 2)
        #expect(
            report.mismatches.map(\.description) == [
                "run-99 (not in the manifest): unexpected matched; expected [], found [matched]"
            ])
    }

    @Test func anonymousInvalidRecordsAreCountedSinceTheRunStarted() {
        let manifest = Self.manifest([
            Self.entry("run-1", .malformed, anonymous: true), Self.entry("run-2", .malformed),
        ])
        let attributed = [
            Self.result(.matched, "run-1"), Self.result(.invalid, "run-2"), Self.result(.matched, "run-2"),
        ]
        let before = Self.result(.invalid, nil, at: Self.startedAt - 1)
        let missing = ResultChecker.check(manifest: manifest, results: attributed + [before])
        #expect(
            missing.mismatches.map(\.description) == [
                "(no correlationId) (malformed): missing invalid; expected [invalid], found []"
            ])
        let found = ResultChecker.check(
            manifest: manifest, results: attributed + [before, Self.result(.invalid, nil)])
        #expect(found.isMatch)
        #expect(found.anonymousInvalidFound == 1 && found.anonymousInvalidExpected == 1)
        let tooMany = ResultChecker.check(
            manifest: manifest,
            results: attributed + [Self.result(.invalid, nil), Self.result(.invalid, nil)])
        #expect(tooMany.mismatches.map(\.unexpected) == [[.invalid]])
    }

    @Test func resultFilesAreReadUpToTheLastCompleteLine() throws {
        let text = """
            {"outcome":"matched","correlationId":"run-1","redelivered":false,"emittedAt":"2024-01-28T14:33:01.123Z"}
            {"outcome":"invalid","correlationId":null,"redelivered":true,"emittedAt":"1970-01-01T00:00:00.000Z"}
            {"outcome":"timeout","correlationId":"run-
            """
        let results = try ObservedResult.parse(jsonLines: Data(text.utf8))
        #expect(
            results == [
                ObservedResult(
                    outcome: .matched, correlationId: "run-1", redelivered: false,
                    emittedAt: 1_706_452_381_123),
                ObservedResult(outcome: .invalid, correlationId: nil, redelivered: true, emittedAt: 0),
            ])
        #expect(throws: SimulationOptionError.self) {
            try ObservedResult.parse(jsonLines: Data("{\"outcome\":\"lost\"}\n".utf8))
        }
        #expect(try ObservedResult.parse(jsonLines: Data()).isEmpty)
    }

    @Test func manifestsRoundTrip() throws {
        let manifest = Self.manifest([
            Self.entry("run-1", .late), Self.entry("run-2", .malformed, anonymous: true),
        ])
        let read = try RunManifest(jsonLines: manifest.jsonLines())
        #expect(read == manifest)
        #expect(read.anonymousInvalidCount == 1)
        #expect(throws: SimulationOptionError.self) { try RunManifest(jsonLines: Data("{}\n".utf8)) }
    }
}
