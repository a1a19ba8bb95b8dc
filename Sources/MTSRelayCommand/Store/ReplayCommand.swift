import ArgumentParser
import Foundation
import MTSCorrelation
import MTSRelayDaemon

/// `mts-relay replay --sink NAME --from TIME|SEQ`: sends one sink the records of the log of
/// results again, from a time or a position, whether the relay runs or not.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send one sink the records of the log of results again, from a time or a seq.",
        discussion: """
            Sets the sink's cursor in the store back; a running relay picks it up within a second, \
            a stopped one when it starts. The records come again with their own seq and \
            "replayed": true; other sinks are untouched. The log keeps records for \
            store.replayWindowSeconds after every sink had them: an older --from is refused, and \
            the error names the oldest available point. Exits 0 when set, 1 when refused, 64 for \
            an unknown sink or a malformed --from, 69 when the store cannot be written, 78 on a \
            configuration error.
            """)

    @OptionGroup var query: StoreQuery

    @Option(help: ArgumentHelp("The sink to send the records to again (its name).", valueName: "name"))
    var sink: String

    @Option(
        help: ArgumentHelp(
            "Where to start: a seq (a record's \"seq\"), or an ISO-8601 time such as 2026-12-07T13:00:00Z.",
            valueName: "time|seq"))
    var from: String

    @Flag(help: "Replay the jackpot side's log instead of the MTS one.")
    var jackpot = false

    func run() async throws {
        let configuration = try query.loadConfiguration()
        guard let sink = configuration.sinks.first(where: { $0.name == sink }) else {
            let names = configuration.sinks.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(
                Data("--sink: no sink named '\(self.sink)' (configured: \(names))\n".utf8))
            throw ExitStatus.usage
        }
        guard let point = Self.point(from) else {
            FileHandle.standardError.write(
                Data("--from: '\(from)' is neither a seq nor an ISO-8601 time (2026-12-07T13:00:00Z)\n".utf8))
            throw ExitStatus.usage
        }
        if jackpot, configuration.jackpot == nil {
            FileHandle.standardError.write(Data("--jackpot: the configuration has no jackpot section\n".utf8))
            throw ExitStatus.usage
        }
        let location = jackpot ? configuration.jackpotStoreLocation : configuration.storeLocation
        let plan: ReplayPlan
        do {
            plan = try await ResultLogReplay.replay(at: location, sink: sink.name, from: point)
        } catch let refusal as ReplayRefusal {
            FileHandle.standardError.write(Data("replay refused: \(refusal.reason)\n".utf8))
            throw ExitStatus.failure
        } catch {
            FileHandle.standardError.write(Data("cannot set the cursor back in \(location): \(error)\n".utf8))
            throw ExitStatus.unavailable
        }
        let selected = plan.counts.filter { count in
            guard let outcome = CorrelationOutcome(rawValue: count.outcome) else { return false }
            guard sink.outcomes.isEmpty || sink.outcomes.contains(outcome) else { return false }
            return sink.operations.isEmpty || count.operation.map(sink.operations.contains) == true
        }.map(\.entries).reduce(0, +)
        if query.json {
            print(
                StoreQuery.jsonText(
                    [
                        "sink": sink.name, "fromSeq": plan.fromSeq, "throughSeq": plan.throughSeq,
                        "records": selected,
                    ] as [String: Any]))
        } else {
            print(
                "sink \(sink.name): \(selected) records will be sent again (seq \(plan.fromSeq) to \(plan.throughSeq), "
                    + "replayed: true)")
        }
    }

    /// A seq, or an ISO-8601 time (with or without fractional seconds).
    static func point(_ text: String) -> ReplayPoint? {
        if let seq = Int64(text), seq >= 0 { return .seq(seq) }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
        ] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) {
                return .time(Int64(date.timeIntervalSince1970 * 1000))
            }
        }
        return nil
    }
}
