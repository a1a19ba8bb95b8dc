extension JSONValue {
    /// Parses `bytes` as one JSON document.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try parseDocument(bytes).value
    }

    /// Parses `bytes` as one JSON document and tells whether any object repeated a key.
    static func parseDocument(
        _ bytes: [UInt8]
    ) throws(JSONParseError) -> (value: JSONValue, hasDuplicateKeys: Bool) {
        let result: Result<(JSONValue, Bool), JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(bytes: buffer)
            do throws(JSONParseError) {
                let value = try parser.parseDocument()
                return .success((value, parser.sawDuplicateKey))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
