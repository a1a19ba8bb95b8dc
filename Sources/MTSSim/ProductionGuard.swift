import AMQPClient
import ArgumentParser
import Foundation
import Yams

/// Keeps mts-sim's fake tickets off a production relay: on a host where the relay's environment
/// file is sourced, `$MTS_RELAY_BROKER_URL` is the real broker and the default queue names are
/// the real queues. Without `--force`, a run is refused when the broker is not on the loopback
/// interface, or when a queue it would publish to is one the production configuration
/// (`/etc/mts-relay/mts-relay.yaml` by default) consumes.
struct ProductionGuard {
    /// The relay's configuration on a host where the package is installed.
    static let defaultConfigurationPath = "/etc/mts-relay/mts-relay.yaml"

    /// The production configuration to read queue names from; it may not exist.
    var configurationPath: String

    /// Throws a usage error (exit 64) naming why, unless the broker and queues are a test's.
    func check(_ broker: AMQPConnectionConfiguration, publishingTo queues: [String]) throws {
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"]
        guard loopback.contains(broker.host.lowercased()) else {
            throw ValidationError(
                "refusing to publish fake tickets to \(broker) (not a broker on 127.0.0.1; "
                    + "$MTS_RELAY_BROKER_URL may be production's): give --force if it is a test broker")
        }
        let production = try productionQueues()
        if let queue = queues.first(where: production.contains) {
            throw ValidationError(
                "refusing to publish to \(queue): \(configurationPath) consumes it; "
                    + "use other queue names, or give --force")
        }
    }

    /// The queues the production configuration names, with the relay's defaults for the keys it
    /// leaves out; empty when there is no such file. A file that cannot be read is a refusal.
    func productionQueues() throws -> Set<String> {
        guard FileManager.default.fileExists(atPath: configurationPath) else { return [] }
        guard let data = FileManager.default.contents(atPath: configurationPath),
            let text = String(data: data, encoding: .utf8),
            let document = try? Yams.load(yaml: text)
        else {
            throw ValidationError(
                "cannot read the queue names of \(configurationPath); give --force to publish anyway")
        }
        let root = document as? [String: Any] ?? [:]
        func section(_ key: String) -> [String: Any] { root[key] as? [String: Any] ?? [:] }
        var queues: Set<String> = [
            section("intake")["queue"] as? String ?? "mts-relay.intake",
            section("deadLetter")["queue"] as? String ?? "mts-relay.dead-letter",
        ]
        queues.formUnion(section("replies")["queues"] as? [String] ?? ["mts-relay.replies"])
        if let jackpot = section("jackpot")["queue"] as? String { queues.insert(jackpot) }
        return queues
    }
}
