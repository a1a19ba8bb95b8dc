import Foundation
import MTSRelayDaemon
import PropertyBased
import TestSupport
import Testing

/// Property-based fuzzing of the configuration loader: random and mutated YAML never crashes
/// it, and every problem it reports names a key path or a line.
///
/// `MTS_FUZZ_ITERATIONS=20000 swift test --filter ConfigurationFuzzTests` runs a longer
/// campaign; the default keeps `swift test` quick.
@Suite("Fuzz: the configuration loader never crashes and always says where")
struct ConfigurationFuzzTests {
    static let iterations =
        ProcessInfo.processInfo.environment["MTS_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 1500

    /// The commented example, and a small configuration with every sink kind.
    static let seeds: [[String]] = [
        (try? String(
            contentsOf: ConfigurationTestSupport.packageRoot.appendingPathComponent("config/mts-relay.yaml"),
            encoding: .utf8)) ?? "",
        """
        broker:
          url: amqps://relay:secret@mq.example:5671/prod
          tls: {caFile: /etc/ca.pem, certificateFile: /etc/c.pem, keyFile: /etc/c.key, verifyHostname: false}
        intake: {queue: intake, prefetch: 100}
        replies: {queues: [a, b], unmatchedGraceMs: 2000}
        timeouts: {default: 30000, ticket-placement: 17000}
        sinks:
          - {type: file, name: results, path: /tmp/r.jsonl, outcomes: [matched, timeout]}
          - type: http
            url: https://hook.example/x
            headers: {Authorization: "Bearer ${TOKEN}"}
            deadLetterPath: /tmp/d.jsonl
            tls: {caFile: /etc/hook-ca.pem}
          - {type: amqp, exchange: results, routingKey: "{outcome}"}
          - {type: stdout}
        log: {format: json, level: debug}
        """,
    ].map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    static let tokens = [
        ":", " ", "  ", "-", "- ", "{", "}", "[", "]", ",", "\"", "'", "#", "&a", "*a", "!!str", "|", ">",
        "?",
        "\n", "\t", "~", "null", "true", "no", "0", "-1", "1e999", "99999999999999999999", "0x1F", "\u{0}",
        "é",
        "broker", "url", "sinks", "type", "http", "amqp", "file", "tls", "caFile", "queues", "timeouts",
        "amqp://u:p@h:1/", "${X}", "<<", "---", "...",
    ]

    /// Line-level mutations: delete, duplicate, swap, re-indent, or put a token into a line.
    static func mutate(_ lines: [String], operations: [Int], positions: [Int], tokens: [String]) -> String {
        var lines = lines
        for (step, operation) in operations.enumerated() where !lines.isEmpty {
            let index = abs(positions[step % positions.count] % lines.count)
            let other = abs(positions[(step + 1) % positions.count] % lines.count)
            let token = tokens[step % tokens.count]
            switch operation {
            case 0: lines.remove(at: index)
            case 1: lines.insert(lines[index], at: other)
            case 2: lines.swapAt(index, other)
            case 3:
                lines[index] =
                    String(repeating: " ", count: positions[step % positions.count] % 5) + lines[index]
            case 4:
                var line = Array(lines[index])
                line.insert(contentsOf: token, at: line.isEmpty ? 0 : abs(other % line.count))
                lines[index] = String(line)
            default:
                if let colon = lines[index].firstIndex(of: ":") {
                    lines[index] = String(lines[index][...colon]) + " " + token
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Loads `yaml`; a failure must list problems, each naming a key path or a line.
    static func check(_ yaml: String) {
        do {
            _ = try RelayConfiguration(yaml: yaml, environment: ["X": "x", "TOKEN": "t"])
        } catch {
            expectEverySaysWhere(error.errors, in: yaml)
        }
    }

    /// The reasons that may come with the empty key path: they are about the document itself,
    /// which must be a mapping of plain names.
    static let topLevelReasons = ["expected a mapping", "keys must be plain names"]

    /// Every problem says where it is: a YAML syntax problem its line, any other a key path
    /// (or, for the document as a whole, one of ``topLevelReasons``).
    static func expectEverySaysWhere(_ problems: [ConfigurationError], in yaml: String) {
        #expect(!problems.isEmpty)
        for problem in problems {
            let saysWhere =
                problem.reason.hasPrefix("invalid YAML")
                ? problem.keyPath.hasPrefix("line:")
                : !problem.keyPath.isEmpty || topLevelReasons.contains { problem.reason.hasPrefix($0) }
            #expect(saysWhere && !problem.reason.isEmpty, "\(problem) in:\n\(yaml)")
        }
    }

    @Test("the seeds load")
    func seedsLoad() throws {
        for seed in Self.seeds {
            _ = try RelayConfiguration(yaml: seed.joined(separator: "\n"), environment: ["TOKEN": "t"])
        }
    }

    @Test("mutated configurations")
    func mutatedSeeds() async {
        await propertyCheck(
            count: Self.iterations, input: Gen.int(in: 0...(Self.seeds.count - 1)),
            Gen.int(in: 0...5).array(of: 1...5), Gen.int(in: 0...10_000).array(of: 2...6),
            Gen.element(of: Self.tokens).array(of: 1...5)
        ) { seedIndex, operations, positions, tokens in
            Self.check(
                Self.mutate(
                    Self.seeds[seedIndex], operations: operations, positions: positions,
                    tokens: tokens.compactMap { $0 }))
        }
    }

    @Test("random token soup")
    func randomTokens() async {
        await propertyCheck(count: Self.iterations, input: Gen.element(of: Self.tokens).array(of: 0...80)) {
            tokens in
            Self.check(tokens.compactMap { $0 }.joined())
        }
    }

    // MARK: The checker can fail

    /// A planted broken loader: it reports a problem without a place whenever a line has a
    /// `#` (a comment), as a loader that lost track of where it was would.
    static func checkBrokenLoader(_ yaml: String) {
        guard yaml.contains("#") else { return }
        expectEverySaysWhere([ConfigurationError(keyPath: "", reason: "something is wrong")], in: yaml)
    }

    @Test("the mutated-configuration check catches a loader that forgets where", .shrinking)
    func mutatedSeedsCatchABrokenLoader() async {
        let failure = await counterexample(of: "a planted loader that names no key path") {
            await propertyCheck(
                count: Self.iterations, input: Gen.int(in: 0...(Self.seeds.count - 1)),
                Gen.int(in: 0...5).array(of: 1...5), Gen.int(in: 0...10_000).array(of: 2...6),
                Gen.element(of: Self.tokens).array(of: 1...5)
            ) { seedIndex, operations, positions, tokens in
                Self.checkBrokenLoader(
                    Self.mutate(
                        Self.seeds[seedIndex], operations: operations, positions: positions,
                        tokens: tokens.compactMap { $0 }))
            }
        }
        let input = shrunkInput(failure)
        #expect(input != nil, "not shrunk: \(failure ?? "no failure")")
        #expect((input?.count ?? .max) < 120, "a small counterexample: \(input ?? "-")")
    }

    @Test("the token-soup check catches a loader that forgets where, shrunk to one token", .shrinking)
    func tokenSoupCatchesABrokenLoader() async {
        let failure = await counterexample(of: "a planted loader that names no key path") {
            await propertyCheck(count: Self.iterations, input: Gen.element(of: Self.tokens).array(of: 0...80))
            {
                tokens in
                Self.checkBrokenLoader(tokens.compactMap { $0 }.joined())
            }
        }
        let input = shrunkInput(failure)
        #expect(input == ##"[Optional("#")]"## || input == ##"["#"]"##, "\(failure ?? "no failure")")
    }
}
