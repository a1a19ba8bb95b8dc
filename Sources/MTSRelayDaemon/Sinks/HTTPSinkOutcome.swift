import Foundation

/// What an HTTP status means for the records a request carried.
///
/// | status | outcome |
/// | --- | --- |
/// | 2xx | accepted |
/// | 5xx (and anything past 599), 429, 408 | retry, honouring Retry-After |
/// | 1xx, 3xx, other 4xx | refused for good: dead-lettered |
///
/// Timeouts and connection errors never reach a status; the sink retries them too.
enum HTTPOutcome: Equatable {
    case accepted
    /// Try again; wait at least this long when the server said so.
    case retry(after: Duration?)
    case refused

    /// The longest Retry-After honoured: a server that asks for a day is asked again in an
    /// hour, so a typo on its side cannot stall the relay for good.
    static let maximumRetryAfter: Duration = .seconds(3600)

    init(status: Int, retryAfter: String?, now: Date = Date()) {
        switch status {
        case 200..<300:
            self = .accepted
        case 408, 429, 500...:
            self = .retry(after: retryAfter.flatMap { Self.parseRetryAfter($0, now: now) })
        default:
            self = .refused
        }
    }

    /// Retry-After as delay-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`,
    /// or the obsolete RFC 850 and asctime forms); a date in the past means now. Nil when the
    /// value is neither. Capped at `maximumRetryAfter`.
    static func parseRetryAfter(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            guard let seconds = Int(text) else { return maximumRetryAfter }  // overflows: huge
            return min(.seconds(seconds), maximumRetryAfter)
        }
        for format in [
            "EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy",
        ] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) {
                let seconds = max(0, date.timeIntervalSince(now))
                return min(.milliseconds(Int64(min(seconds, 86_400) * 1000)), maximumRetryAfter)
            }
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
