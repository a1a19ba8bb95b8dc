/// Milliseconds since the Unix epoch, and their ISO-8601 form.
enum Timestamp {
    /// The wall clock now, in milliseconds since the epoch.
    static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// A monotonic clock in milliseconds (CLOCK_MONOTONIC): for intervals only. It runs on
    /// while the process is stopped (SIGSTOP), which is what a lease's local validity needs.
    static func monotonicMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2024-01-28T14:33:01.123Z`: UTC with milliseconds. Written by hand (days-to-civil,
    /// H. Hinnant's algorithm) because it runs for every record and log line, and
    /// Foundation's formatters allocate and lock.
    static func iso8601(milliseconds: Int64) -> String {
        var bytes: [UInt8] = []
        appendISO8601(milliseconds: milliseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the ISO-8601 form of `milliseconds` to `bytes`, with no allocation of its own
    /// (the record writer writes four per record).
    static func appendISO8601(milliseconds: Int64, to bytes: inout [UInt8]) {
        let millis = Int(((milliseconds % 1000) + 1000) % 1000)
        let totalSeconds = (milliseconds - Int64(millis)) / 1000
        var days = Int(totalSeconds / 86_400)
        var secondsOfDay = Int(totalSeconds % 86_400)
        if secondsOfDay < 0 {
            secondsOfDay += 86_400
            days -= 1
        }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        func digits(_ value: Int, _ width: Int) {
            guard value >= 0 else {
                // Before year 0: rare enough to take the allocating path.
                bytes.append(contentsOf: String(value).utf8)
                return
            }
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            // Wider values than `width` (years past 9999) keep all their digits.
            while value / divisor >= 10 { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(secondsOfDay / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondsOfDay / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondsOfDay % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(millis, 3)
        bytes.append(UInt8(ascii: "Z"))
    }
}

#if canImport(Glibc)
    import Glibc
#endif
