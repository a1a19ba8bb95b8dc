import MTSCorrelation
import Yams

/// The `store` and `ha` sections, and `MTS_RELAY_STORE_URL`.
extension ConfigurationLoader {
    /// The environment variable that overrides `store.url`.
    static let storeURLVariable = "MTS_RELAY_STORE_URL"

    mutating func readStore(_ node: Node) {
        guard let section = reader.section(node, "store", ["path", "url", "replayWindowSeconds"]) else {
            return
        }
        reader.read("path", in: section, into: &configuration.store.path)
        reader.read(
            "replayWindowSeconds", in: section, .within(Self.replayWindowRange),
            into: &configuration.store.replayWindowSeconds)
        if let url = section["url"], !YAMLNodeReader.isNull(url),
            let text = reader.string(url, at: section.path("url")),
            validatePostgresURL(text, at: section.path("url"))
        {
            configuration.store.url = text
        }
    }

    mutating func readHA(_ node: Node) {
        guard let section = reader.section(node, "ha", ["group", "node", "leaseMs"]) else { return }
        reader.read("group", in: section, into: &configuration.ha.group)
        reader.read("node", in: section, into: &configuration.ha.node)
        reader.read(
            "leaseMs", in: section, .within(Self.leaseRange), into: &configuration.ha.leaseMs)
    }

    /// `store.replayWindowSeconds`: none at all, up to a week.
    static let replayWindowRange = 0...604_800

    /// `ha.leaseMs`: at least 500 ms (renewed several times within it, over a network), at most
    /// 10 minutes (a takeover waits that long).
    static let leaseRange = 500...600_000

    /// `MTS_RELAY_STORE_URL` wins over `store.url`.
    mutating func applyStoreEnvironment() {
        if let url = environment[Self.storeURLVariable], !url.isEmpty,
            validatePostgresURL(url, at: Self.storeURLVariable, overriding: "store.url")
        {
            configuration.store.url = url
        }
    }

    /// Reports why `url` is not a PostgreSQL URL; the reason never quotes it.
    private mutating func validatePostgresURL(
        _ url: String, at path: String, overriding key: String? = nil
    ) -> Bool {
        guard let problem = StoreLocation.postgresURLProblem(url) else { return true }
        reader.report(path, key.map { "\(problem) (this variable overrides \($0))" } ?? problem)
        return false
    }
}
