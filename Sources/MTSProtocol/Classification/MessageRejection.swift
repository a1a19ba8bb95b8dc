/// Why a consumed message cannot reach the engine as a request or a reply, typed: code decides
/// by ``reason``, people read ``description``.
public struct MessageRejection<Summary: EnvelopeSummary>: Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the message.
    public enum Reason: Sendable, Hashable {
        /// The body is larger than the limit set by the configuration key `limitKey`; it was not
        /// parsed.
        case tooLarge(bytes: Int, limit: Int, limitKey: String)
        /// The body breaks these rules (never empty).
        case violations([Violation])
        /// The message came back `attempts` times without a decision, the most the
        /// configuration key `limitKey` allows; `isJSONObject` tells whether its body is one.
        case gaveUp(attempts: Int, limitKey: String, isJSONObject: Bool)
    }

    public var reason: Reason
    /// The correlation id, when one could be read (body or AMQP property).
    public var correlationId: String?
    /// What could be read; nil for a message too large to parse.
    public var summary: Summary?

    public init(reason: Reason, correlationId: String?, summary: Summary?) {
        self.reason = reason
        self.correlationId = correlationId
        self.summary = summary
    }

    /// Whether the body is a JSON object, so a record can embed it as it is.
    public var isJSONObject: Bool {
        switch reason {
        case .tooLarge: false
        case .gaveUp(_, _, let isJSONObject): isJSONObject
        case .violations(let violations): !violations.contains { $0.kind == .notAnObject }
        }
    }

    /// One line for the dead-letter header and the record: every violation, `path: reason`.
    public var description: String {
        switch reason {
        case .tooLarge(let bytes, let limit, let key):
            "$: message of \(bytes) bytes exceeds the limit of \(limit) bytes (\(key))"
        case .gaveUp(let attempts, let key, _):
            "$: gave up after \(attempts) attempts (\(key))"
        case .violations(let violations):
            violations.map(\.description).joined(separator: "; ")
        }
    }
}
