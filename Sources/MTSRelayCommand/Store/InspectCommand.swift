import ArgumentParser
import Foundation
import MTSCorrelation
import MTSRelayDaemon

/// `mts-relay inspect ID`: what the relay knows of one correlation id, read from its store (and
/// the jackpot store) and its file sinks. Read-only.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what happened to one correlation id: its request, state, deadline and records.",
        discussion: """
            Reads the store the configuration names (SQLite read-only, or one SELECT on PostgreSQL) \
            and the file sinks; writes nothing, so it is safe while the relay runs. The store keeps \
            a resolved request for retentionSeconds. Exits 0 when the id is known, 1 when it is \
            not, 69 when a store cannot be read, 78 on a configuration error.
            """)

    @OptionGroup var query: StoreQuery

    @Argument(help: "The correlation id.")
    var correlationId: String

    func run() async throws {
        let configuration = try query.loadConfiguration()
        let rows = try await StoreQuery.rows(
            in: StoreQuery.stores(of: configuration), .correlationId(correlationId))
        let records = Self.records(of: correlationId, in: configuration)
        let now = StoreQuery.now()
        let described = rows.map { StoreQuery.describe($0.row, store: $0.store, now: now) }
        if query.json {
            print(
                StoreQuery.jsonText(
                    [
                        "correlationId": correlationId, "requests": described,
                        "records": records.map { ["sink": $0.sink, "record": $0.record] },
                    ] as [String: Any]))
        } else {
            print(Self.text(correlationId, described, records))
        }
        guard !rows.isEmpty || !records.isEmpty else { throw ExitStatus.failure }
    }

    /// The records of `id` in every file sink, as written.
    static func records(of id: String, in configuration: RelayConfiguration) -> [(sink: String, record: Any)]
    {
        let needle = "\"correlationId\":" + StoreQuery.jsonText([id]).dropFirst().dropLast() + ","
        var found: [(String, Any)] = []
        for sink in configuration.sinks {
            guard case .file(let path) = sink.kind,
                let text = try? String(contentsOfFile: path, encoding: .utf8)
            else { continue }
            for line in text.split(separator: "\n") where line.contains(needle) {
                let record = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) ?? String(line)
                found.append((sink.name, record))
            }
        }
        return found
    }

    static func text(
        _ id: String, _ requests: [[String: Any]], _ records: [(sink: String, record: Any)]
    ) -> String {
        var lines: [String] = []
        if requests.isEmpty {
            lines.append(
                "\(id): not in the store (never registered, or resolved longer ago than retentionSeconds)")
        }
        let order = [
            "store", "correlationId", "operation", "ticketId", "state", "requestedAt", "deadlineAt",
            "resolvedAt",
            "confirmed", "sent", "answer", "request",
        ]
        for request in requests {
            for key in order {
                guard let value = request[key] else { continue }
                let shown = value is String ? value as! String : StoreQuery.jsonText(value)
                lines.append("\(key.padding(toLength: 14, withPad: " ", startingAt: 0)) \(shown)")
            }
        }
        lines.append(records.isEmpty ? "records: none in the file sinks" : "records:")
        for record in records { lines.append("  \(record.sink): \(StoreQuery.jsonText(record.record))") }
        return lines.joined(separator: "\n")
    }
}
