import Testing

@testable import MTSRelayDaemon

@Suite("Resolved configuration description")
struct ConfigurationDescriptionTests {
    typealias Support = ConfigurationTestSupport

    static let yamlWithSecrets = """
        broker:
          url: amqps://relay:hunter2@mq.example:5671/mts
        intake:
          url: amqp://intake:hunter3@other.example/
        sinks:
          - type: http
            url: https://hook:hunter4@hook.example/results
            deadLetterPath: refused.jsonl
            headers:
              Authorization: Basic aHVudGVyNQ==
              X-Token: "${HOOK_TOKEN}"
              X-Tenant: acme
          - type: amqp
            url: amqp://pub:hunter6@pub.example/
            exchange: results
          - {type: stdout, outcomes: [timeout, matched], operations: ["17", ticket-placement]}
        """
    static let environment = ["HOOK_TOKEN": "hunter7"]

    @Test func secretsAreMasked() throws {
        let text = try Support.load(Self.yamlWithSecrets, environment: Self.environment).resolvedDescription()
        for secret in ["hunter2", "hunter3", "hunter4", "aHVudGVyNQ==", "hunter6", "hunter7"] {
            #expect(!text.contains(secret), "\(secret) is in:\n\(text)")
        }
        #expect(text.contains("url: amqps://relay:****@mq.example:5671/mts"))
        #expect(text.contains("url: amqp://intake:****@other.example:5672"))
        #expect(text.contains("url: https://hook:****@hook.example/results"))
        #expect(text.contains("url: amqp://pub:****@pub.example:5672"))
        #expect(text.contains("Authorization: '****'") || text.contains("Authorization: \"****\""))
        #expect(text.contains("X-Token: ${HOOK_TOKEN}"))
        #expect(text.contains("X-Tenant: acme"))
    }

    @Test func descriptionLoadsBackAsTheSameConfigurationWithMaskedValues() throws {
        let loaded = try Support.load(Self.yamlWithSecrets, environment: Self.environment)
        let reloaded = try Support.load(loaded.resolvedDescription(), environment: Self.environment)

        var expected = loaded
        expected.broker.url = "amqps://relay:****@mq.example:5671/mts"
        expected.intake.url = "amqp://intake:****@other.example:5672"
        guard case .http(var http) = expected.sinks[0].kind, case .amqp(var amqp) = expected.sinks[1].kind
        else {
            Issue.record("unexpected sinks \(expected.sinks)")
            return
        }
        http.url = "https://hook:****@hook.example/results"
        http.headers["Authorization"] = "****"
        expected.sinks[0].kind = .http(http)
        amqp.url = "amqp://pub:****@pub.example:5672"
        expected.sinks[1].kind = .amqp(amqp)
        #expect(reloaded == expected)
        // "17" stays a string: the description quotes it.
        #expect(reloaded.sinks[2].operations == ["17", "ticket-placement"])
    }

    @Test func defaultsAreDescribedInFull() throws {
        let text = RelayConfiguration().resolvedDescription()
        #expect(
            try RelayConfiguration(yaml: text, environment: [:]).broker.url
                == "amqp://guest:****@127.0.0.1:5672")
        for line in [
            "heartbeatSeconds: 20", "default: 30000", "ticket-placement: 17000", "capacity: 1000000",
        ] {
            #expect(text.contains(line), "no '\(line)' in:\n\(text)")
        }
        #expect(!text.contains("guest:guest"))
    }
}
