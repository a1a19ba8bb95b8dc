import Testing

@testable import MTSRelayDaemon

@Suite("Configuration errors")
struct ConfigurationErrorTests {
    typealias Support = ConfigurationTestSupport

    @Test func unknownKeysNameTheAllowedOnes() {
        let top = Support.onlyProblem("brokers:\n  url: amqp://h/\n")
        #expect(top?.keyPath == "brokers")
        #expect(top?.reason.contains("did you mean 'broker'?") == true)
        #expect(top?.reason.contains("allowed keys: broker, intake, replies") == true)

        let nested = Support.onlyProblem("replies:\n  prefech: 10\n")
        #expect(nested?.keyPath == "replies.prefech")
        #expect(
            nested?.reason.contains(
                "allowed keys: queues, prefetch, unmatchedGraceMs, transitAllowanceMs, maxMessageBytes")
                == true)

        let tls = Support.onlyProblem("broker:\n  tls:\n    verify: false\n")
        #expect(tls?.keyPath == "broker.tls.verify")

        // Keys belong to sink types: a stdout sink has no path.
        // With '@host' forgotten, the parser takes the password for the port.
        let noHost = Support.onlyProblem("broker:\n  url: amqp://relay:hunter2/mts\n")
        #expect(noHost?.keyPath == "broker.url")
        #expect(noHost?.reason.contains("the port is not a number") == true)
        #expect(noHost?.description.contains("hunter2") == false)

        let sink = Support.onlyProblem("sinks:\n  - {type: stdout, path: x}\n")
        #expect(sink?.keyPath == "sinks[0].path")
        #expect(sink?.reason.contains("for a stdout sink: type, name, outcomes, operations") == true)
    }

    @Test func quotedNumberIsAStringNotAnInteger() throws {
        let problem = Support.onlyProblem("intake:\n  prefetch: \"17\"\n")
        #expect(problem?.keyPath == "intake.prefetch")
        #expect(problem?.reason.hasPrefix("expected an integer, found a string") == true)
        #expect(try Support.load("intake:\n  prefetch: 17\n").intake.prefetch == 17)
    }

    @Test(arguments: [
        ("replies:\n  queues: mts.replies\n", "replies.queues", "expected a sequence, found a string"),
        ("broker:\n  tls:\n    verifyPeer: \"false\"\n", "broker.tls.verifyPeer", "expected a boolean"),
        ("broker: [a, b]\n", "broker", "expected a mapping, found a sequence"),
        (
            "engine:\n  capacity: 1.5\n", "engine.capacity",
            "expected an integer, found a number with a fraction"
        ),
        ("intake:\n  queue: 12345\n", "intake.queue", "expected a string, found an integer"),
        ("replies:\n  queues: [a, {b: c}]\n", "replies.queues[1]", "expected a string, found a mapping"),
        ("sinks:\n  - stdout\n", "sinks[0]", "expected a mapping, found a string"),
        ("- broker\n", "", "expected a mapping, found a sequence"),
    ])
    func wrongTypesSayWhatWasExpectedAndFound(yaml: String, keyPath: String, reason: String) {
        let problem = Support.onlyProblem(yaml)
        #expect(problem?.keyPath == keyPath)
        #expect(problem?.reason.hasPrefix(reason) == true, "\(String(describing: problem))")
    }

    @Test(arguments: [
        ("sinks:\n  - type: file\n", "sinks[0].path"),
        ("sinks:\n  - {type: http, deadLetterPath: d.jsonl}\n", "sinks[0].url"),
        ("sinks:\n  - {type: http, url: \"http://h/\"}\n", "sinks[0].deadLetterPath"),
        ("sinks:\n  - {type: amqp}\n", "sinks[0].exchange"),
        ("sinks:\n  - {name: x}\n", "sinks[0].type"),
        ("metrics:\n  prometheus: {}\n", "metrics.prometheus.listen"),
    ])
    func missingRequiredKeys(yaml: String, keyPath: String) {
        let problem = Support.onlyProblem(yaml)
        #expect(problem?.keyPath == keyPath)
        #expect(problem?.reason.hasPrefix("missing required key") == true)
    }

    @Test func badAMQPURLIsReportedWithoutThePassword() {
        let problem = Support.onlyProblem("broker:\n  url: amqp://relay:hunter2@broker:99999/\n")
        #expect(problem?.keyPath == "broker.url")
        #expect(problem?.reason.contains("port '99999'") == true)
        #expect(problem?.description.contains("hunter2") == false)

        let scheme = Support.onlyProblem("intake:\n  url: http://relay:hunter2@broker/\n")
        #expect(scheme?.keyPath == "intake.url")
        #expect(scheme?.reason.contains("unsupported scheme 'http'") == true)
        #expect(scheme?.description.contains("hunter2") == false)

        // With '@host' forgotten, the parser takes the password for the port.
        let noHost = Support.onlyProblem("broker:\n  url: amqp://relay:hunter2/mts\n")
        #expect(noHost?.keyPath == "broker.url")
        #expect(noHost?.reason.contains("the port is not a number") == true)
        #expect(noHost?.description.contains("hunter2") == false)

        let sink = Support.onlyProblem("sinks:\n  - {type: amqp, exchange: x, url: \"amqp://u:hunter2@\"}\n")
        #expect(sink?.keyPath == "sinks[0].url")
        #expect(sink?.description.contains("hunter2") == false)
    }

    @Test(arguments: [
        "ftp://user:hunter2@files.example/results", "https://user:hunter2@/results", "user:hunter2@host",
        "not a url at all hunter2",
    ])
    func badHTTPURLIsReportedWithoutThePassword(url: String) {
        let problem = Support.onlyProblem("sinks:\n  - {type: http, deadLetterPath: d, url: \"\(url)\"}\n")
        #expect(problem?.keyPath == "sinks[0].url")
        #expect(problem?.reason.hasPrefix("invalid URL") == true)
        #expect(problem?.description.contains("hunter2") == false)
    }

    @Test(arguments: [
        ("intake:\n  prefetch: 0\n", "intake.prefetch"),
        ("replies:\n  prefetch: 65536\n", "replies.prefetch"),
        ("broker:\n  heartbeatSeconds: 4\n", "broker.heartbeatSeconds"),
        ("broker:\n  heartbeatSeconds: 3601\n", "broker.heartbeatSeconds"),
        ("broker:\n  heartbeatSeconds: -1\n", "broker.heartbeatSeconds"),
        ("timeouts:\n  default: 0\n", "timeouts.default"),
        ("timeouts:\n  ticket-cancel: -5\n", "timeouts.ticket-cancel"),
        ("replies:\n  maxMessageBytes: 0\n", "replies.maxMessageBytes"),
        ("metrics:\n  intervalSeconds: 0\n", "metrics.intervalSeconds"),
        ("shutdown:\n  timeoutSeconds: 0\n", "shutdown.timeoutSeconds"),
        ("engine:\n  capacity: 0\n", "engine.capacity"),
        ("engine:\n  resultQueue: 0\n", "engine.resultQueue"),
        (
            "sinks:\n  - {type: http, url: \"http://h/\", deadLetterPath: d, timeoutMs: 0}\n",
            "sinks[0].timeoutMs"
        ),
        (
            "sinks:\n  - {type: amqp, exchange: x, retry: {initialDelayMs: 500, maxDelayMs: 100}}\n",
            "sinks[0].retry.maxDelayMs"
        ),
    ])
    func outOfRangeNumbers(yaml: String, keyPath: String) {
        let problem = Support.onlyProblem(yaml)
        #expect(problem?.keyPath == keyPath)
        #expect(problem?.reason.hasPrefix("must be") == true, "\(String(describing: problem))")
    }

    @Test func rangeBoundsThemselvesAreAccepted() throws {
        let loaded = try Support.load(
            """
            broker: {heartbeatSeconds: 5}
            intake: {prefetch: 65535}
            replies: {prefetch: 1, maxMessageBytes: 1}
            timeouts: {default: 1}
            metrics: {intervalSeconds: 1}
            shutdown: {timeoutSeconds: 1}
            engine: {capacity: 1}
            """)
        #expect(loaded.broker.heartbeatSeconds == 5)
        #expect(loaded.intake.prefetch == 65535)
        #expect(try Support.load("broker: {heartbeatSeconds: 3600}").broker.heartbeatSeconds == 3600)
        #expect(try Support.load("broker: {heartbeatSeconds: 0}").broker.heartbeatSeconds == 0)
    }

    @Test func heartbeatReasonSaysWhy() {
        let problem = Support.onlyProblem("broker:\n  heartbeatSeconds: 2\n")
        #expect(
            problem?.reason
                == "must be 0 (off) or in 5...3600, found 2; heartbeats under 5 s give false alarms on a busy broker or network"
        )
    }

    @Test func unknownOutcomeNamesItsPlace() {
        let problem = Support.onlyProblem(
            "sinks:\n  - {type: stdout, outcomes: [matched, timeout, matchd]}\n")
        #expect(problem?.keyPath == "sinks[0].outcomes[2]")
        #expect(problem?.reason.hasPrefix("unknown outcome 'matchd'") == true)
        #expect(problem?.reason.contains("matched, timeout, late, duplicate, unmatched, invalid") == true)
    }

    @Test func duplicateSinkNames() {
        let defaulted = Support.onlyProblem("sinks:\n  - type: stdout\n  - type: stdout\n")
        #expect(defaulted?.keyPath == "sinks[1].name")
        #expect(defaulted?.reason.contains("duplicate sink name 'stdout', already used by sinks[0]") == true)
        #expect(defaulted?.reason.contains("defaults to its type") == true)

        let named = Support.onlyProblem(
            "sinks:\n  - {type: stdout, name: out}\n  - {type: file, path: f}\n  - {type: file, name: out, path: g}\n"
        )
        #expect(named?.keyPath == "sinks[2].name")
        #expect(named?.reason.contains("already used by sinks[0]") == true)

        #expect(Support.problems("sinks:\n  - type: stdout\n  - {type: stdout, name: errors-only}\n").isEmpty)
    }

    @Test(arguments: [
        ("replies:\n  queues: []\n", "replies.queues"),
        ("replies:\n  queues:\n", "replies.queues"),
        ("sinks: []\n", "sinks"),
        ("sinks:\n", "sinks"),
    ])
    func emptyListsThatMustNotBeEmpty(yaml: String, keyPath: String) {
        let problem = Support.onlyProblem(yaml)
        #expect(problem?.keyPath == keyPath)
        #expect(problem?.reason.hasPrefix("must list at least one") == true)
    }

    @Test(arguments: [
        ("log:\n  level: verbose\n", "log.level", "unknown log level 'verbose'"),
        ("log:\n  format: text\n", "log.format", "unknown log format 'text' (expected one of: json, logfmt)"),
        ("sinks:\n  - {type: kafka}\n", "sinks[0].type", "unknown sink type 'kafka'"),
    ])
    func unknownNames(yaml: String, keyPath: String, reason: String) {
        let problem = Support.onlyProblem(yaml)
        #expect(problem?.keyPath == keyPath)
        #expect(problem?.reason.hasPrefix(reason) == true, "\(String(describing: problem))")
    }

    @Test(arguments: [
        ("replies:\n  queues: [a, b, a]\n", "replies.queues[2]"),
        ("intake:\n  queue: q\nreplies:\n  queues: [q]\n", "intake.queue"),
        ("deadLetter:\n  queue: mts-relay.replies\n", "deadLetter.queue"),
        ("broker:\n  tls: {certificateFile: c.pem}\n", "broker.tls.keyFile"),
        ("sinks:\n  - {type: amqp, exchange: x, routingKey: \"{outcome}.{sport}\"}\n", "sinks[0].routingKey"),
        ("sinks:\n  - {type: stdout, name: \"\"}\n", "sinks[0].name"),
        ("metrics:\n  prometheus: {listen: \"9464\"}\n", "metrics.prometheus.listen"),
        ("metrics:\n  prometheus: {listen: \"localhost:70000\"}\n", "metrics.prometheus.listen"),
    ])
    func otherInconsistencies(yaml: String, keyPath: String) {
        #expect(Support.onlyProblem(yaml)?.keyPath == keyPath)
    }

    @Test func environmentErrorsNameTheVariableAndHideThePassword() {
        let environment = [
            "MTS_RELAY_BROKER_URL": "amqp://relay:hunter2@broker:0/",
            "MTS_RELAY_INTAKE_URL": "rabbit://relay:hunter2@broker/",
        ]
        let found = Support.problems("", environment: environment)
        #expect(found.map(\.keyPath) == ["MTS_RELAY_BROKER_URL", "MTS_RELAY_INTAKE_URL"])
        #expect(found.first?.reason.contains("overrides broker.url") == true)
        #expect(found.last?.reason.contains("overrides intake.url") == true)
        #expect(!found.description.contains("hunter2"))
    }

    @Test func headerVariableThatIsNotSetNamesKeyPathAndVariable() {
        let yaml = """
            sinks:
              - type: http
                url: http://h/
                deadLetterPath: d
                headers:
                  X-Token: "${HOOK_TOKEN}"
                  X-Broken: "${UNCLOSED"
            """
        let found = Support.problems(yaml)
        #expect(found.map(\.keyPath) == ["sinks[0].headers.X-Token", "sinks[0].headers.X-Broken"])
        #expect(found.first?.reason == "environment variable HOOK_TOKEN is not set")
        #expect(found.last?.reason.contains("without a closing") == true)
    }

    @Test func headerValuesCannotCarryLineBreaks() {
        let yaml =
            "sinks:\n  - {type: http, url: \"http://h/\", deadLetterPath: d, headers: {X-A: \"${V}\"}}\n"
        let problem = Support.onlyProblem(yaml, environment: ["V": "a\r\nX-Injected: hunter2"])
        #expect(problem?.keyPath == "sinks[0].headers.X-A")
        #expect(problem?.description.contains("hunter2") == false)
    }

    @Test func allErrorsAreReportedTogether() {
        let yaml = """
            broker:
              url: amqp://relay:hunter2@broker:99999/
              heartbeatSeconds: 2
            intake:
              prefetch: "17"
            replies:
              queues: []
            sinks:
              - type: file
              - type: stdout
                outcomes: [matched, matchd]
            log:
              level: loud
            """
        do {
            _ = try RelayConfiguration(yaml: yaml, environment: ["MTS_RELAY_INTAKE_URL": "nope"])
            Issue.record("loaded an invalid configuration")
        } catch {
            #expect(
                error.errors.map(\.keyPath) == [
                    "broker.url", "broker.heartbeatSeconds", "intake.prefetch", "replies.queues",
                    "sinks[0].path",
                    "sinks[1].outcomes[1]", "log.level", "MTS_RELAY_INTAKE_URL",
                ])
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == 8)
            #expect(lines.first?.hasPrefix("broker.url: invalid AMQP URL") == true)
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func yamlSyntaxErrorsGiveThePlaceButNotTheLine() {
        let problem = Support.onlyProblem("broker:\n  url: amqp://relay:hunter2@h/\n  tls: [\n")
        #expect(problem?.keyPath.hasPrefix("line:") == true)
        #expect(problem?.reason.hasPrefix("invalid YAML") == true)
        #expect(problem?.description.contains("hunter2") == false)

        let duplicate = Support.onlyProblem("broker:\n  url: amqp://relay:hunter2@h/\n  url: amqp://x/\n")
        #expect(duplicate?.reason == "duplicate key 'url' in one mapping")
        #expect(duplicate?.description.contains("hunter2") == false)
    }
}
