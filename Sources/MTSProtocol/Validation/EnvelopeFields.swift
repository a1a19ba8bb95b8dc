/// The Transaction 3.0 envelope fields common to requests and replies, as read by validation.
struct EnvelopeFields {
    /// The range of `timestampUtc`: the seeds print the maximum as 9223372036854776000, which is
    /// `Int64.max` rendered through a double; the limit is `Int64.max` itself.
    static let timestampRange: ClosedRange<Int64> = 1...Int64.max
    /// The only `version` this relay accepts.
    static let version = "3.0"

    var correlationId: String?
    var timestampUtc: Int64?
    var operation: String?
    var version: String?
    var content: JSONObject?
    var contentType: String?

    /// Reads and checks the envelope of `document`, reporting every rule it breaks.
    init(_ document: JSONObject, with validator: inout FieldValidator) {
        // The id, the operation and the content type are kept in the correlation store.
        correlationId = validator.storable(
            validator.string("correlationId", of: document, at: .root),
            at: JSONPath.root.appending("correlationId"), maximumBytes: StorableText.maximumIdBytes)
        timestampUtc = validator.int64("timestampUtc", of: document, at: .root, range: Self.timestampRange)
        operation = validator.storable(
            validator.string("operation", of: document, at: .root), at: JSONPath.root.appending("operation"))
        version = validator.constant(Self.version, "version", of: document, at: .root)
        content = validator.object("content", of: document, at: .root)
        if let content {
            let contentPath = JSONPath.root.appending("content")
            contentType = validator.storable(
                validator.string("type", of: content, at: contentPath), at: contentPath.appending("type"))
        }
    }

    /// Parses `bytes` into an object document; reports a non-JSON message or a non-object top level
    /// as one violation at `$`, and every duplicate key at its path.
    static func parseObject(_ bytes: [UInt8], with validator: inout FieldValidator) -> JSONObject? {
        let parsed: (value: JSONValue, hasDuplicateKeys: Bool)
        do {
            parsed = try JSONValue.parseDocument(bytes)
        } catch {
            validator.report(error.description, at: .root, kind: .notAnObject)
            return nil
        }
        if parsed.hasDuplicateKeys {
            for violation in parsed.value.duplicateKeyViolations() { validator.append(violation) }
        }
        guard case .object(let object) = parsed.value else {
            validator.report(validator.mismatch("an object", parsed.value), at: .root, kind: .notAnObject)
            return nil
        }
        return object
    }
}
