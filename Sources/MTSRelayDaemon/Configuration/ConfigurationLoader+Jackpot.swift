import Yams

extension ConfigurationLoader {
    /// The keys the `jackpot` section accepts.
    static let jackpotKeys = [
        "queue", "url", "operatorName", "timeoutMs", "concurrency", "prefetch", "maxMessageBytes", "tls",
    ]

    /// Reads the `jackpot` section: `queue`, `url` and `operatorName` are required.
    mutating func readJackpot(_ node: Node) {
        guard let section = reader.section(node, "jackpot", Self.jackpotKeys) else { return }
        var required: [String: String] = [:]
        let reasons = [
            "queue": "the queue jackpot ticket requests arrive on",
            "url": "the Bet Engine's POST /be/tickets URL",
            "operatorName": "sent as the operator-name header",
        ]
        for key in ["queue", "url", "operatorName"] {
            guard let value = section[key] else {
                reader.report(section.path(key), "missing required key (\(reasons[key] ?? key))")
                continue
            }
            guard let text = reader.string(value, at: section.path(key)) else { continue }
            if key == "url", let problem = HTTPURL.problem(text) {
                reader.report(section.path(key), problem)
                continue
            }
            required[key] = text
        }
        var jackpot = RelayConfiguration.Jackpot(
            queue: required["queue"] ?? "", url: required["url"] ?? "",
            operatorName: required["operatorName"] ?? "")
        reader.read("timeoutMs", in: section, .within(1...3_600_000), into: &jackpot.timeoutMs)
        reader.read("concurrency", in: section, .within(1...4096), into: &jackpot.concurrency)
        reader.read("prefetch", in: section, .within(1...65535), into: &jackpot.prefetch)
        reader.read("maxMessageBytes", in: section, .atLeast(1), into: &jackpot.maxMessageBytes)
        if let tlsNode = section["tls"], !YAMLNodeReader.isNull(tlsNode),
            let tls = reader.section(tlsNode, section.path("tls"), ["caFile"])
        {
            reader.readOptional("caFile", in: tls, into: &jackpot.caFile)
        }
        configuration.jackpot = jackpot
    }
}
