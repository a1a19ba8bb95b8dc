import ArgumentParser
import Foundation
import MTSCorrelation
import MTSRelayDaemon

/// What `inspect` and `pending` share: the configuration that names the stores, and how a
/// request is shown. Both only read: safe while the relay runs.
struct StoreQuery: ParsableArguments {
    @Option(help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
    var config: String = RelayConfiguration.defaultPath

    @Option(
        help: ArgumentHelp(
            "A systemd environment file (NAME=VALUE lines) whose variables win over the environment.",
            valueName: "file"))
    var envFile: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// The configuration, as the relay loads it; exits 78 with its problems.
    func loadConfiguration() throws -> RelayConfiguration {
        var environment = ProcessInfo.processInfo.environment
        var problems: [ConfigurationError] = []
        if let envFile {
            switch EnvironmentFile(path: envFile).variables() {
            case .success(let variables): environment.merge(variables) { _, file in file }
            case .failure(let failure): problems += failure.errors
            }
        }
        do {
            if problems.isEmpty { return try RelayConfiguration.load(path: config, environment: environment) }
        } catch {
            problems += error.errors
        }
        FileHandle.standardError.write(Data(problems.map { "\($0)\n" }.joined().utf8))
        throw ExitStatus.configuration
    }

    /// The stores the configuration names, with what each holds.
    static func stores(of configuration: RelayConfiguration) -> [(name: String, location: StoreLocation)] {
        var stores = [("requests", configuration.storeLocation)]
        if configuration.jackpot != nil { stores.append(("jackpot", configuration.jackpotStoreLocation)) }
        return stores
    }

    /// The rows `selection` names in every store; a store that cannot be read exits 69.
    static func rows(
        in stores: [(name: String, location: StoreLocation)], _ selection: StoreReader.Selection
    ) async throws -> [(store: String, row: PersistedRequest)] {
        var found: [(String, PersistedRequest)] = []
        for store in stores {
            do {
                found += try await StoreReader.rows(at: store.location, selection).map { (store.name, $0) }
            } catch {
                FileHandle.standardError.write(Data("cannot read the \(store.name) store: \(error)\n".utf8))
                throw ExitStatus.unavailable
            }
        }
        return found
    }

    /// A request as the tools show it: its fields by name, the request body as JSON.
    static func describe(_ row: PersistedRequest, store: String, now: Int64) -> [String: Any] {
        var fields: [String: Any] = [
            "store": store,
            "correlationId": row.request.correlationId,
            "operation": row.request.operation,
            "state": row.state.description,
            "requestedAt": iso(row.request.timestampUtc),
            "deadlineAt": iso(row.deadline),
            "ageMs": now - row.request.timestampUtc,
        ]
        if let ticketId = row.request.ticketId { fields["ticketId"] = ticketId }
        if let resolvedAt = row.resolvedAt { fields["resolvedAt"] = iso(resolvedAt) }
        if row.state != .outstanding { fields["confirmed"] = row.confirmed }
        if row.sent { fields["sent"] = true }
        if let answer = row.answer {
            fields["answer"] = ["httpStatus": answer.status, "receivedAt": iso(answer.receivedAt)]
        }
        if !row.request.body.isEmpty {
            fields["request"] =
                (try? JSONSerialization.jsonObject(with: Data(row.request.body)))
                ?? String(decoding: row.request.body, as: UTF8.self)
        }
        return fields
    }

    /// `milliseconds` since the epoch, ISO 8601 in UTC with milliseconds.
    static func iso(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// JSON text of `value`, keys sorted.
    static func jsonText(_ value: Any) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]))
            ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
