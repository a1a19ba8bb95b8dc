import Foundation
import PropertyBased
import Synchronization
import TestSupport
import Testing

@testable import MTSProtocol

/// Property-based fuzzing: mutated seed messages and random JSON-ish token soup must never crash
/// the decoders, and each result is either a valid message or at least one violation.
///
/// `MTS_FUZZ_ITERATIONS=200000 swift test --filter FuzzTests` runs a longer campaign; the default
/// keeps `swift test` quick.
@Suite("Fuzz: decoders never crash")
struct FuzzTests {
    static let iterations =
        ProcessInfo.processInfo.environment["MTS_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 3000

    /// Every fixture's bytes; a fixture that cannot be read fails the suite here rather than
    /// fuzzing an empty message.
    static let seeds: [[UInt8]] = Fixture.allCases.map { fixture in
        do {
            return try fixture.bytes
        } catch {
            preconditionFailure("fixture \(fixture) cannot be read: \(error)")
        }
    }

    static let tokens = [
        "{", "}", "[", "]", ",", ":", " ", "\"content\"", "\"type\"", "\"code\"", "\"version\"", "\"3.0\"",
        "\"ticket-reply\"", "\"error-reply\"", "\"timestampUtc\"", "\"operation\"", "\"ticket-placement\"",
        "\"correlationId\"", "\"exchangeRate\"", "\"rate\"", "\"betDetails\"", "\"suggestion\"",
        "\"reoffer\"",
        "0", "-1", "1.5e3", "9223372036854775808", "-9223372036854775809", "1e999", "true", "false", "null",
        "\"\\u00e9\"", "\"\\ud800\"", "\"\\ud83d\\ude00\"", "\"\\\"\"", "\"", "\\", "\u{0}", "é",
    ]

    /// Applies byte-level mutations (flip, delete, insert, truncate, duplicate a span) to `seed`.
    static func mutate(_ seed: [UInt8], operations: [Int], positions: [Int], bytes: [UInt8]) -> [UInt8] {
        var message = seed
        for (step, operation) in operations.enumerated() {
            let position = positions[step % positions.count]
            let byte = bytes[step % bytes.count]
            let index = message.isEmpty ? 0 : abs(position % message.count)
            switch operation {
            case 0 where !message.isEmpty: message[index] ^= byte | 1
            case 1 where !message.isEmpty: message.remove(at: index)
            case 2: message.insert(byte, at: index)
            case 3: message.removeLast(message.count - index)
            case 4 where !message.isEmpty:
                let end = min(message.count, index + Int(byte % 16) + 1)
                message.insert(contentsOf: message[index..<end], at: index)
            default: message.insert(UInt8(ascii: "\""), at: index)
            }
        }
        return message
    }

    /// The invariant every decoder keeps: a value, or at least one violation, never both.
    static func expectConsistent(hasValue: Bool, violations: [Violation], _ decoder: String) {
        #expect(
            hasValue != !violations.isEmpty, "\(decoder): value \(hasValue), \(violations.count) violations")
    }

    /// Decodes `bytes` with every decoder and checks each result is consistent.
    static func checkAllDecoders(_ bytes: [UInt8]) {
        let reply = MTSReply.decode(bytes)
        expectConsistent(hasValue: reply.reply != nil, violations: reply.violations, "reply")
        let request = MTSRequest.decode(bytes)
        expectConsistent(hasValue: request.request != nil, violations: request.violations, "request")
        let jackpotRequest = JackpotTicketRequest.decode(bytes)
        expectConsistent(
            hasValue: jackpotRequest.value != nil, violations: jackpotRequest.violations, "jackpot request")
        let jackpotTicket = JackpotTicket.decode(bytes)
        expectConsistent(
            hasValue: jackpotTicket.value != nil, violations: jackpotTicket.violations, "jackpot ticket")
        for violation in reply.violations + request.violations {
            #expect(!violation.path.isEmpty && !violation.reason.isEmpty)
        }
        _ = MessageReport.check(bytes, as: .auto)
    }

    @Test("mutated seed messages")
    func mutatedSeeds() async {
        await propertyCheck(
            count: Self.iterations, input: Gen.int(in: 0...(Self.seeds.count - 1)),
            Gen.int(in: 0...5).array(of: 1...6),
            Gen.int(in: 0...100_000).array(of: 1...6), Gen.uint8(in: 0...255).array(of: 1...6)
        ) { seedIndex, operations, positions, bytes in
            Self.checkAllDecoders(
                Self.mutate(Self.seeds[seedIndex], operations: operations, positions: positions, bytes: bytes)
            )
        }
    }

    @Test("random token soup")
    func randomTokens() async {
        await propertyCheck(count: Self.iterations, input: Gen.element(of: Self.tokens).array(of: 0...60)) {
            tokens in
            Self.checkAllDecoders(Array(tokens.compactMap { $0 }.joined().utf8))
        }
    }

    @Test("random bytes")
    func randomBytes() async {
        await propertyCheck(count: Self.iterations, input: Gen.uint8(in: 0...255).array(of: 0...200)) {
            bytes in
            Self.checkAllDecoders(bytes)
        }
    }

    @Test("mutations do change the seeds, so the fuzz test exercises broken input")
    func mutationsBreakSeeds() {
        let seed = Self.seeds[1]
        #expect(Self.mutate(seed, operations: [3], positions: [10], bytes: [0]) == Array(seed.prefix(10)))
        #expect(!MTSReply.decode(Self.mutate(seed, operations: [3], positions: [10], bytes: [0])).isValid)
        #expect(Self.mutate(seed, operations: [0], positions: [0], bytes: [2]).first == seed.first! ^ 3)
    }

    // MARK: The checkers can fail

    /// A planted broken decoder: the reply decoder, but it also calls a message valid when it
    /// has an odd number of quotes (so it reports a value and violations at once).
    static func checkBrokenDecoder(_ bytes: [UInt8]) {
        let reply = MTSReply.decode(bytes)
        let broken = bytes.count { $0 == UInt8(ascii: "\"") } % 2 == 1
        expectConsistent(hasValue: reply.reply != nil || broken, violations: reply.violations, "planted")
    }

    @Test("the mutated-seed check catches a broken decoder and shrinks its input", .shrinking)
    func mutatedSeedsCatchABrokenDecoder() async {
        let failure = await counterexample(of: "a planted broken decoder") {
            await propertyCheck(
                count: Self.iterations, input: Gen.int(in: 0...(Self.seeds.count - 1)),
                Gen.int(in: 0...5).array(of: 1...6),
                Gen.int(in: 0...100_000).array(of: 1...6), Gen.uint8(in: 0...255).array(of: 1...6)
            ) { seedIndex, operations, positions, bytes in
                Self.checkBrokenDecoder(
                    Self.mutate(
                        Self.seeds[seedIndex], operations: operations, positions: positions, bytes: bytes))
            }
        }
        let input = shrunkInput(failure)
        #expect(input != nil, "not shrunk: \(failure ?? "no failure")")
        #expect((input?.count ?? .max) < 80, "a small counterexample: \(input ?? "-")")
    }

    @Test(
        "the token-soup check catches a broken decoder and shrinks it to tokens it cannot drop", .shrinking)
    func tokenSoupCatchesABrokenDecoder() async {
        // The check's last call is the library's final run on the shrunk input.
        let lastInput = Mutex<[String]>([])
        let failure = await counterexample(of: "a planted broken decoder") {
            await propertyCheck(count: Self.iterations, input: Gen.element(of: Self.tokens).array(of: 0...60))
            {
                tokens in
                let present = tokens.compactMap { $0 }
                lastInput.withLock { $0 = present }
                Self.checkBrokenDecoder(Array(present.joined().utf8))
            }
        }
        #expect(shrunkInput(failure) != nil, "not shrunk: \(failure ?? "no failure")")
        // The shrinker drops one token at a time until no drop still fails: a token with an even
        // number of quotes keeps the planted parity when dropped, so none is left. How many odd
        // ones remain depends on the draw (one token to seven seen), so the count is not bounded.
        let shrunk = lastInput.withLock { $0 }
        let quotes = shrunk.map { $0.utf8.count { $0 == UInt8(ascii: "\"") } }
        #expect(!shrunk.isEmpty && quotes.allSatisfy { $0 % 2 == 1 }, "shrunk to \(shrunk)")
        #expect(quotes.count % 2 == 1, "shrunk to \(shrunk)")
    }

    @Test("the random-bytes check catches a broken decoder and shrinks it to its cause", .shrinking)
    func randomBytesCatchABrokenDecoder() async {
        let failure = await counterexample(of: "a planted broken decoder") {
            await propertyCheck(count: Self.iterations, input: Gen.uint8(in: 0...255).array(of: 0...200)) {
                bytes in
                Self.checkBrokenDecoder(bytes)
            }
        }
        // Nothing but quotes, an odd number of them: the planted fault's cause. Usually one;
        // the shrinker removes one byte at a time, so from three (or five) it cannot go on
        // without making the count even, and stops there.
        let bytes = shrunkInput(failure).map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }
        }
        #expect(bytes?.allSatisfy { $0 == "34" } == true, "\(failure ?? "no failure")")
        #expect((bytes?.count ?? 0) % 2 == 1 && (bytes?.count ?? .max) <= 5, "\(failure ?? "no failure")")
    }
}
