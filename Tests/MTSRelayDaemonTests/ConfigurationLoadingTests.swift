import Foundation
import Testing

@testable import MTSRelayDaemon

@Suite("Configuration loading")
struct ConfigurationLoadingTests {
    typealias Support = ConfigurationTestSupport

    @Test func exampleConfigLoadsWithItsValues() throws {
        let loaded = try RelayConfiguration.load(path: Support.examplePath, environment: [:])
        // The production template spells out every default; it adds a file sink instead of
        // stdout (which would put every body in the journal) and the Prometheus endpoint.
        var expected = RelayConfiguration()
        expected.sinks = [
            RelayConfiguration.Sink(
                name: "results-file", kind: .file(path: "/var/lib/mts-relay/results.jsonl"))
        ]
        expected.metrics.prometheusListen = "127.0.0.1:9464"
        #expect(loaded == expected)
        #expect(loaded.store.path == "/var/lib/mts-relay/pending.sqlite")
        #expect(loaded.timeouts == RelayConfiguration().timeouts)
        #expect(loaded.metrics.intervalSeconds == 10)
        #expect(loaded.broker.url == "amqp://guest:guest@127.0.0.1:5672/")
        #expect(loaded.writtenFiles.allSatisfy { $0.path.hasPrefix("/var/lib/mts-relay/") })
    }

    @Test func demoConfigHoldsOnlyTheDemosOverrides() throws {
        let loaded = try RelayConfiguration.load(path: Support.demoPath, environment: [:])
        var expected = RelayConfiguration()
        expected.store.path = "var/pending.sqlite"
        // Cancellations time out within the demo's 20 s run, metrics lines show during it.
        expected.timeouts.byOperation["ticket-cancel"] = 5000
        expected.metrics.intervalSeconds = 5
        expected.sinks = [
            RelayConfiguration.Sink(name: "stdout", kind: .stdout),
            RelayConfiguration.Sink(name: "results-file", kind: .file(path: "var/results.jsonl")),
        ]
        #expect(loaded == expected)
    }

    /// The keys each top-level section of the template must show (set, or commented out
    /// with its default), checked inside that section's own block: a key that appears in
    /// another section does not count.
    static let keysBySection: [String: [String]] = [
        "broker": [
            "url", "heartbeatSeconds", "connectionName", "tls", "caFile", "certificateFile", "keyFile",
            "verifyPeer", "verifyHostname",
        ],
        "intake": ["queue", "url", "prefetch", "transitAllowanceMs", "maxMessageBytes"],
        "replies": ["queues", "prefetch", "unmatchedGraceMs", "transitAllowanceMs", "maxMessageBytes"],
        "deadLetter": ["exchange", "queue", "maxAttempts"],
        "store": ["path", "url"],
        "ha": ["group", "node", "leaseMs"],
        "timeouts": ["default"],
        "engine": ["capacity", "clockSkewToleranceMs", "resultQueue"],
        "sinks": ["initialDelayMs", "maxDelayMs"]
            + ConfigurationLoader.sinkTypes.flatMap { ConfigurationLoader.sinkKeys(of: $0) },
        "log": ["format", "level"],
        "metrics": ["intervalSeconds", "prometheus", "listen"],
        "shutdown": ["timeoutSeconds"],
        "jackpot": ConfigurationLoader.jackpotKeys + ["caFile"],
    ]

    /// The lines of each top-level section of `text`, set (`name:`) or commented out
    /// (`# name:`): from its header to the next top-level header.
    static func sectionBlocks(_ text: String) -> [String: [Substring]] {
        let header = /^(?:# )?([A-Za-z]+):/
        var blocks: [String: [Substring]] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let match = line.firstMatch(of: header),
                ConfigurationLoader.topLevelKeys.contains(String(match.1))
            {
                current = String(match.1)
            }
            if let current { blocks[current, default: []].append(line) }
        }
        return blocks
    }

    @Test func exampleConfigMentionsEveryKeyInItsSection() throws {
        let example = try String(contentsOfFile: Support.examplePath, encoding: .utf8)
        let blocks = Self.sectionBlocks(example)
        let sections = Set(ConfigurationLoader.topLevelKeys).subtracting(["retentionSeconds"])
        #expect(Set(Self.keysBySection.keys) == sections)
        #expect(example.contains("retentionSeconds:"))
        for (section, keys) in Self.keysBySection {
            let block = try #require(blocks[section], "the example has no '\(section)' section")
            for key in Set(keys) {
                let mentioned = block.dropFirst().contains { line in
                    line.firstMatch(of: try! Regex("^\\s*(- )?(# *)?(- )?\(key):")) != nil
                }
                #expect(mentioned, "the example's '\(section)' section does not mention '\(key)'")
            }
        }
        for type in ConfigurationLoader.sinkTypes {
            #expect(blocks["sinks"]?.contains { $0.contains("type: \(type)") } == true, "no \(type) sink")
        }
    }

    /// The check above can fail: a key moved to another section is not found in its own.
    @Test func theSectionCheckCatchesAKeyInTheWrongSection() {
        let blocks = Self.sectionBlocks("broker:\n  url: x\nintake:\n  queue: q\n")
        let intake = blocks["intake"] ?? []
        #expect(!intake.dropFirst().contains { $0.contains("url:") })
        #expect(blocks["broker"]?.contains { $0.contains("url:") } == true)
    }

    @Test func emptyDocumentIsTheDefaultConfiguration() throws {
        #expect(try Support.load("") == RelayConfiguration())
        #expect(try Support.load("# only a comment\n") == RelayConfiguration())
        // A section whose every line is commented out is null: the defaults apply.
        #expect(try Support.load("broker:\n  # url: amqp://x\nmetrics:\n") == RelayConfiguration())
        #expect(RelayConfiguration().sinks == [RelayConfiguration.Sink(name: "stdout", kind: .stdout)])
    }

    @Test func keysLeftOutKeepTheirDefaults() throws {
        let loaded = try Support.load(
            """
            broker:
              heartbeatSeconds: 0
            replies:
              queues: [a, b]
            """)
        var expected = RelayConfiguration()
        expected.broker.heartbeatSeconds = 0
        expected.replies.queues = ["a", "b"]
        #expect(loaded == expected)
    }

    @Test func timeoutsAreMergedOverTheBuiltInOnes() throws {
        let loaded = try Support.load(
            """
            timeouts:
              default: 5000
              ticket-placement: 20_000
              casino-session: 1000
            """)
        #expect(loaded.timeouts.defaultTimeout == 5000)
        #expect(
            loaded.timeouts.byOperation == [
                "ticket-placement": 20_000, "ticket-cancel": 600_000, "ticket-cashout": 600_000,
                "ticket-ext-settlement": 600_000, "casino-session": 1000,
            ])
    }

    @Test func everyKeyIsRead() throws {
        let loaded = try Support.load(
            """
            broker:
              url: amqps://relay:s3cret@mq.example/mts
              tls: {caFile: /etc/ca.pem, certificateFile: /etc/c.pem, keyFile: /etc/k.pem, verifyPeer: false, verifyHostname: no}
              heartbeatSeconds: 60
              connectionName: relay-1
            intake: {queue: in, url: "amqp://u:p@other/", prefetch: 10, transitAllowanceMs: 30}
            replies: {queues: [r1, r2], prefetch: 20, unmatchedGraceMs: 0, transitAllowanceMs: 40, maxMessageBytes: 4096}
            deadLetter: {exchange: dlx, queue: dlq}
            store: {path: /tmp/p.sqlite}
            retentionSeconds: 60
            engine: {capacity: 5, clockSkewToleranceMs: 1, resultQueue: 7}
            sinks:
              - {type: stdout, outcomes: [matched, late], operations: [ticket-placement]}
              - {type: file, name: f, path: /tmp/r.jsonl}
              - type: http
                name: hook
                url: https://hook.example/results
                timeoutMs: 100
                batchSize: 50
                headers: {X-Source: relay}
                deadLetterPath: /tmp/refused.jsonl
                retry: {initialDelayMs: 5, maxDelayMs: 50}
              - {type: amqp, exchange: results, routingKey: "r.{operation}"}
            log: {format: json, level: debug}
            metrics: {intervalSeconds: 1, prometheus: {listen: "[::1]:9464"}}
            shutdown: {timeoutSeconds: 3}
            """)
        #expect(loaded.broker.url == "amqps://relay:s3cret@mq.example/mts")
        #expect(loaded.broker.tls.caFile == "/etc/ca.pem")
        #expect(loaded.broker.tls.certificateFile == "/etc/c.pem")
        #expect(loaded.broker.tls.keyFile == "/etc/k.pem")
        #expect(loaded.broker.tls.verifyPeer == false)
        #expect(loaded.broker.tls.verifyHostname == false)
        #expect(loaded.broker.heartbeatSeconds == 60)
        #expect(loaded.broker.connectionName == "relay-1")
        #expect(loaded.intake.queue == "in")
        #expect(loaded.intake.url == "amqp://u:p@other/")
        #expect(loaded.intake.prefetch == 10)
        #expect(loaded.replies.queues == ["r1", "r2"])
        #expect(loaded.replies.prefetch == 20)
        #expect(loaded.replies.unmatchedGraceMs == 0)
        #expect(loaded.replies.maxMessageBytes == 4096)
        #expect(loaded.deadLetter.exchange == "dlx")
        #expect(loaded.deadLetter.queue == "dlq")
        #expect(loaded.store.path == "/tmp/p.sqlite")
        #expect(loaded.retentionSeconds == 60)
        #expect(loaded.engine.capacity == 5)
        #expect(loaded.engine.clockSkewToleranceMs == 1)
        #expect(loaded.intake.transitAllowanceMs == 30)
        #expect(loaded.replies.transitAllowanceMs == 40)
        #expect(loaded.engine.resultQueue == 7)
        #expect(loaded.log.format == .json)
        #expect(loaded.log.level == "debug")
        #expect(loaded.metrics.intervalSeconds == 1)
        #expect(loaded.metrics.prometheusListen == "[::1]:9464")
        #expect(loaded.shutdown.timeoutSeconds == 3)

        try #require(loaded.sinks.count == 4)
        #expect(
            loaded.sinks[0]
                == RelayConfiguration.Sink(
                    name: "stdout", kind: .stdout, outcomes: [.matched, .late],
                    operations: ["ticket-placement"]))
        #expect(loaded.sinks[1] == RelayConfiguration.Sink(name: "f", kind: .file(path: "/tmp/r.jsonl")))
        var http = RelayConfiguration.HTTP(
            url: "https://hook.example/results", deadLetterPath: "/tmp/refused.jsonl")
        http.timeoutMs = 100
        http.batchSize = 50
        http.headers = ["X-Source": "relay"]
        #expect(loaded.sinks[2].name == "hook")
        #expect(loaded.sinks[2].kind == .http(http))
        #expect(loaded.sinks[2].retry.initialDelayMs == 5)
        #expect(loaded.sinks[2].retry.maxDelayMs == 50)
        var amqp = RelayConfiguration.AMQP(exchange: "results")
        amqp.routingKey = "r.{operation}"
        #expect(loaded.sinks[3] == RelayConfiguration.Sink(name: "amqp", kind: .amqp(amqp)))
    }

    @Test func environmentOverridesTheURLs() throws {
        let yaml = "broker:\n  url: amqp://file:pw@file-host/\n"
        let environment = [
            "MTS_RELAY_BROKER_URL": "amqp://env:pw@env-host/",
            "MTS_RELAY_INTAKE_URL": "amqps://env:pw@intake-host/",
        ]
        let loaded = try Support.load(yaml, environment: environment)
        #expect(loaded.broker.url == "amqp://env:pw@env-host/")
        #expect(loaded.intake.url == "amqps://env:pw@intake-host/")
        // Empty variables are treated as unset.
        let unset = try Support.load(
            yaml, environment: ["MTS_RELAY_BROKER_URL": "", "MTS_RELAY_INTAKE_URL": ""])
        #expect(unset.broker.url == "amqp://file:pw@file-host/")
        #expect(unset.intake.url == nil)
    }

    @Test func headerVariablesAreResolvedAtLoadTime() throws {
        let loaded = try Support.load(
            """
            sinks:
              - type: http
                url: http://127.0.0.1:8080/results
                deadLetterPath: refused.jsonl
                headers:
                  Authorization: "Bearer ${HOOK_TOKEN}"
                  X-Tenant: "${TENANT}"
                  X-Source: mts-relay $1 ${TENANT}-x
            """,
            environment: ["HOOK_TOKEN": "tok-123", "TENANT": "acme"])
        guard case .http(let http) = loaded.sinks.first?.kind else {
            Issue.record("not an http sink: \(loaded.sinks)")
            return
        }
        #expect(
            http.headers == [
                "Authorization": "Bearer tok-123", "X-Tenant": "acme", "X-Source": "mts-relay $1 acme-x",
            ])
        #expect(
            http.headerTemplates == [
                "Authorization": "Bearer ${HOOK_TOKEN}", "X-Tenant": "${TENANT}",
                "X-Source": "mts-relay $1 ${TENANT}-x",
            ])
    }

    @Test func loadingAFileThatIsMissingNamesThePath() {
        let path = "/nonexistent/mts-relay-\(UUID().uuidString).yaml"
        #expect {
            _ = try RelayConfiguration.load(path: path, environment: [:])
        } throws: { error in
            let errors = (error as? ConfigurationErrors)?.errors ?? []
            return errors.count == 1 && errors[0].keyPath == path && errors[0].reason.contains("no such file")
        }
    }
}
