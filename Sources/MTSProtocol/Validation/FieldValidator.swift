/// Reads typed fields out of parsed JSON and records every rule a field breaks.
///
/// Each read returns the typed value, or nil after recording why not; reads never stop at the
/// first problem, so one pass reports every violation of a message.
struct FieldValidator {
    /// Everything found so far, in validation order (envelope first, then content).
    private(set) var violations: [Violation] = []

    /// Records that the value at `path` breaks a rule for `reason`.
    mutating func report(_ reason: String, at path: JSONPath, kind: Violation.Kind = .invalid) {
        violations.append(Violation(path: path.rendered, reason: reason, kind: kind))
    }

    /// Records a violation decided outside this type.
    mutating func append(_ violation: Violation) {
        violations.append(violation)
    }

    // MARK: Members of an object

    /// The value of member `key`; reports "missing" when it is absent and `required`.
    mutating func member(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool
    ) -> JSONValue? {
        if let value = object[key] { return value }
        if required { report("missing", at: path.appending(key), kind: .missing) }
        return nil
    }

    mutating func string(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool = true,
        length: ClosedRange<Int>? = nil
    ) -> String? {
        guard let value = member(key, of: object, at: path, required: required) else { return nil }
        return string(value, at: path.appending(key), length: length)
    }

    mutating func int64(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool = true,
        range: ClosedRange<Int64>? = nil
    ) -> Int64? {
        guard let value = member(key, of: object, at: path, required: required) else { return nil }
        return int64(value, at: path.appending(key), range: range)
    }

    mutating func number(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool = true
    )
        -> JSONNumber?
    {
        guard let value = member(key, of: object, at: path, required: required) else { return nil }
        return number(value, at: path.appending(key))
    }

    mutating func bool(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool = true
    ) -> Bool? {
        guard let value = member(key, of: object, at: path, required: required) else { return nil }
        guard case .bool(let bool) = value else {
            report(mismatch("a boolean", value), at: path.appending(key))
            return nil
        }
        return bool
    }

    mutating func object(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool = true
    )
        -> JSONObject?
    {
        guard let value = member(key, of: object, at: path, required: required) else { return nil }
        return self.object(value, at: path.appending(key))
    }

    mutating func array(
        _ key: String, of object: JSONObject, at path: JSONPath, required: Bool = true
    )
        -> [JSONValue]?
    {
        guard let value = member(key, of: object, at: path, required: required) else { return nil }
        guard case .array(let array) = value else {
            report(mismatch("an array", value), at: path.appending(key))
            return nil
        }
        return array
    }

    /// A string member that must be one of `Enumeration`'s raw values.
    mutating func enumeration<Enumeration: RawRepresentable<String> & CaseIterable>(
        _ type: Enumeration.Type, _ key: String, of object: JSONObject, at path: JSONPath,
        required: Bool = true
    ) -> Enumeration? {
        guard let value = member(key, of: object, at: path, required: required) else { return nil }
        return enumeration(type, value, at: path.appending(key))
    }

    /// A string member that must equal `expected`.
    mutating func constant(
        _ expected: String, _ key: String, of object: JSONObject, at path: JSONPath
    ) -> String? {
        guard let string = string(key, of: object, at: path) else { return nil }
        guard string == expected else {
            report("expected \(Self.quote(expected)), found \(Self.quote(string))", at: path.appending(key))
            return nil
        }
        return string
    }

    /// `string` when the correlation store can hold it (see ``StorableText``); otherwise
    /// nil, after reporting why at `path`.
    mutating func storable(_ string: String?, at path: JSONPath, maximumBytes: Int? = nil) -> String? {
        guard let string else { return nil }
        if let problem = StorableText.problem(string, maximumBytes: maximumBytes) {
            report(problem, at: path)
            return nil
        }
        return string
    }

    // MARK: Single values

    mutating func string(_ value: JSONValue, at path: JSONPath, length: ClosedRange<Int>? = nil) -> String? {
        guard case .string(let string) = value else {
            report(mismatch("a string", value), at: path)
            return nil
        }
        if let length {
            // Lengths count UTF-16 code units, as Java's String.length() does in MTS.
            let count = string.utf16.count
            guard length.contains(count) else {
                report("length \(count) is outside \(length.lowerBound)...\(length.upperBound)", at: path)
                return nil
            }
        }
        return string
    }

    mutating func int64(_ value: JSONValue, at path: JSONPath, range: ClosedRange<Int64>? = nil) -> Int64? {
        guard case .number(let number) = value, number.isIntegerLiteral else {
            report(mismatch("an integer", value), at: path)
            return nil
        }
        guard case .integer(let integer) = number else {
            let text = Self.truncated(number.text)
            if let range {
                report("\(text) is outside \(range.lowerBound)...\(range.upperBound)", at: path)
            } else {
                report("\(text) does not fit in a 64-bit integer", at: path)
            }
            return nil
        }
        if let range, !range.contains(integer) {
            report("\(integer) is outside \(range.lowerBound)...\(range.upperBound)", at: path)
            return nil
        }
        return integer
    }

    mutating func number(_ value: JSONValue, at path: JSONPath) -> JSONNumber? {
        guard case .number(let number) = value else {
            report(mismatch("a number", value), at: path)
            return nil
        }
        return number
    }

    mutating func object(_ value: JSONValue, at path: JSONPath) -> JSONObject? {
        guard case .object(let object) = value else {
            report(mismatch("an object", value), at: path)
            return nil
        }
        return object
    }

    mutating func enumeration<Enumeration: RawRepresentable<String> & CaseIterable>(
        _ type: Enumeration.Type, _ value: JSONValue, at path: JSONPath
    ) -> Enumeration? {
        guard let string = string(value, at: path) else { return nil }
        guard let result = Enumeration(rawValue: string) else {
            let allowed = Enumeration.allCases.map(\.rawValue).joined(separator: ", ")
            report("\(Self.quote(string)) is not one of \(allowed)", at: path)
            return nil
        }
        return result
    }

    /// Validates every element of `array` with `element`, keeping the ones that pass.
    mutating func elements<Element>(
        of array: [JSONValue], at path: JSONPath,
        _ element: (inout FieldValidator, JSONValue, JSONPath) -> Element?
    ) -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(array.count)
        for (index, value) in array.enumerated() {
            if let item = element(&self, value, path.appending(index: index)) { result.append(item) }
        }
        return result
    }

    // MARK: Reasons

    /// "expected an integer, found a string".
    func mismatch(_ expected: String, _ found: JSONValue) -> String {
        "expected \(expected), found \(found.kindDescription)"
    }

    /// A value quoted for a reason, cut at 40 characters so fuzzed input stays readable.
    static func quote(_ string: String) -> String {
        JSONPath.quoted(truncated(string))
    }

    static func truncated(_ string: String) -> String {
        string.count > 40 ? String(string.prefix(40)) + "…" : string
    }
}
