import ArgumentParser
import Foundation
import MTSCorrelation
import MTSRelayDaemon

/// `mts-relay pending`: the requests still waiting for a reply, oldest first. Read-only.
struct PendingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending",
        abstract: "List the outstanding requests, oldest first.",
        discussion: """
            Reads the store the configuration names (and the jackpot store); writes nothing, so \
            it is safe while the relay runs. Exits 0, 69 when a store cannot be read, 78 on a \
            configuration error.
            """)

    @OptionGroup var query: StoreQuery

    @Option(
        help: ArgumentHelp(
            "Only requests sent longer ago than this (500ms, 5s, 2m, 1h).", valueName: "duration"))
    var olderThan: String?

    func validate() throws {
        if let olderThan, Self.milliseconds(olderThan) == nil {
            throw ValidationError(
                "--older-than: '\(olderThan)' is not a duration such as 500ms, 5s, 2m or 1h")
        }
    }

    func run() async throws {
        let configuration = try query.loadConfiguration()
        let now = StoreQuery.now()
        let minimumAge = olderThan.flatMap(Self.milliseconds) ?? 0
        let rows = try await StoreQuery.rows(in: StoreQuery.stores(of: configuration), .outstanding)
            .filter { now - $0.row.request.timestampUtc >= minimumAge }
            .sorted { $0.row.request.timestampUtc < $1.row.request.timestampUtc }
        if query.json {
            print(StoreQuery.jsonText(rows.map { StoreQuery.describe($0.row, store: $0.store, now: now) }))
            return
        }
        print("\(rows.count) outstanding" + (olderThan.map { " older than \($0)" } ?? ""))
        for (store, row) in rows {
            let age = Double(now - row.request.timestampUtc) / 1000
            let left = Double(row.deadline - now) / 1000
            print(
                "\(row.request.correlationId)  \(row.request.operation)  store=\(store)  "
                    + "requestedAt=\(StoreQuery.iso(row.request.timestampUtc))  age=\(String(format: "%.1f", age))s  "
                    + (left >= 0
                        ? "deadline in \(String(format: "%.1f", left))s"
                        : "deadline passed \(String(format: "%.1f", -left))s ago (waiting for the reply watermark)")
            )
        }
    }

    /// `500ms`, `5s`, `2m`, `1h` in milliseconds; nil when it is none of them.
    static func milliseconds(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let value = Int64(text.dropLast(suffix.count)), value >= 0 else { return nil }
            return value * factor
        }
        return nil
    }
}
