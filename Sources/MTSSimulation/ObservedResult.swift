import Foundation

/// The fields of one mts-relay result record the checker needs.
public struct ObservedResult: Sendable, Hashable {
    public var outcome: ResultOutcome
    public var correlationId: String?
    public var redelivered: Bool
    /// Milliseconds since the epoch, from the record's `emittedAt`; nil when unreadable.
    public var emittedAt: Int64?

    /// A result with these values.
    public init(
        outcome: ResultOutcome, correlationId: String?, redelivered: Bool = false, emittedAt: Int64? = nil
    ) {
        self.outcome = outcome
        self.correlationId = correlationId
        self.redelivered = redelivered
        self.emittedAt = emittedAt
    }

    private struct Record: Decodable {
        var outcome: String
        var correlationId: String?
        var redelivered: Bool?
        var emittedAt: String?
    }

    /// Reads a file sink's JSON lines. A last line without its newline is still being written
    /// and is ignored; any other line that is not a result record throws, naming it.
    public static func parse(jsonLines data: Data) throws(SimulationOptionError) -> [ObservedResult] {
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        lines.removeLast()  // empty after a final newline, else the incomplete last line
        let decoder = JSONDecoder()
        var results: [ObservedResult] = []
        results.reserveCapacity(lines.count)
        for (offset, line) in lines.enumerated() where !line.isEmpty {
            guard let record = try? decoder.decode(Record.self, from: Data(line)),
                let outcome = ResultOutcome(rawValue: record.outcome)
            else {
                throw SimulationOptionError("line \(offset + 1) is not an mts-relay result record")
            }
            results.append(
                ObservedResult(
                    outcome: outcome, correlationId: record.correlationId,
                    redelivered: record.redelivered ?? false,
                    emittedAt: record.emittedAt.flatMap(Self.milliseconds(iso8601:))))
        }
        return results
    }

    /// `2024-01-28T14:33:01.123Z` (the relay's form) as milliseconds since the epoch.
    static func milliseconds(iso8601 text: String) -> Int64? {
        let digits = Array(text.utf8)
        guard digits.count == 24, digits[4] == UInt8(ascii: "-"), digits[10] == UInt8(ascii: "T"),
            digits[23] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(digits[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let millis = number(20..<23)
        else { return nil }
        // Days from civil (H. Hinnant), the inverse of the relay's formatter.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1000 + Int64(millis)
    }
}
