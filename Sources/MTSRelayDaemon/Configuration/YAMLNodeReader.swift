import Yams

/// Walks a Yams node tree with the key path in hand, converting values and collecting every
/// problem as a `ConfigurationError` instead of stopping at the first.
///
/// Every accessor returns `nil` when the value is absent or unusable; in the latter case the
/// problem has been recorded in `errors`. Values that are found wrong are never quoted in a
/// reason unless they are harmless (numbers, names), so secrets do not end up in logs.
struct YAMLNodeReader {
    /// What a number must satisfy, with the words to say when it does not.
    enum IntRule {
        /// Any integer.
        case any
        /// At least the bound (`0` for "not negative", `1` for "greater than 0").
        case atLeast(Int)
        /// Within the range.
        case within(ClosedRange<Int>)
        /// Zero, or within the range; `note` explains why the gap exists.
        case zeroOr(ClosedRange<Int>, note: String)

        func violation(_ value: Int) -> String? {
            switch self {
            case .any:
                return nil
            case .atLeast(let bound):
                guard value < bound else { return nil }
                return bound == 1
                    ? "must be greater than 0, found \(value)"
                    : "must be at least \(bound), found \(value)"
            case .within(let range):
                guard !range.contains(value) else { return nil }
                return "must be in \(range.lowerBound)...\(range.upperBound), found \(value)"
            case .zeroOr(let range, let note):
                guard value != 0, !range.contains(value) else { return nil }
                return
                    "must be 0 (off) or in \(range.lowerBound)...\(range.upperBound), found \(value); \(note)"
            }
        }
    }

    /// The problems found so far, in the order they were found.
    private(set) var errors: [ConfigurationError] = []

    /// Records a problem at `keyPath`.
    mutating func report(_ keyPath: String, _ reason: String) {
        errors.append(ConfigurationError(keyPath: keyPath, reason: reason))
    }

    // MARK: Containers

    /// The node as a mapping whose keys are all in `allowedKeys` (any keys when `nil`).
    ///
    /// Unknown keys are reported (with the allowed ones, and a likely intended one) and left
    /// out of the result. `null` (a section whose every line is commented out) reads as an
    /// empty mapping.
    mutating func mapping(_ node: Node, at path: String, allowedKeys: [String]?) -> YAMLMapping? {
        if Self.isNull(node) { return YAMLMapping(path: path, entries: []) }
        guard case .mapping(let mapping) = node else {
            report(path, "expected a mapping, found \(Self.kind(of: node))")
            return nil
        }
        var entries: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                report(path, "keys must be plain names, found \(Self.kind(of: keyNode)) as a key")
                continue
            }
            entries.append((scalar.string, value))
        }
        let all = YAMLMapping(path: path, entries: entries)
        guard let allowedKeys else { return all }
        return only(allowedKeys, in: all)
    }

    /// The entries of `mapping` whose keys are in `allowedKeys`; every other key is reported,
    /// with the allowed ones and a likely intended one.
    mutating func only(_ allowedKeys: [String], in mapping: YAMLMapping, what: String? = nil) -> YAMLMapping {
        var entries: [(key: String, value: Node)] = []
        for (key, value) in mapping.entries {
            guard allowedKeys.contains(key) else {
                var reason = "unknown key '\(key)'"
                if let suggestion = Self.closest(to: key, in: allowedKeys) {
                    reason += " (did you mean '\(suggestion)'?)"
                }
                reason +=
                    "; allowed keys\(what.map { " for \($0)" } ?? ""): \(allowedKeys.joined(separator: ", "))"
                report(mapping.path(key), reason)
                continue
            }
            entries.append((key, value))
        }
        return YAMLMapping(path: mapping.path, entries: entries)
    }

    /// The node as a sequence. `null` is reported like any other non-sequence.
    mutating func sequence(_ node: Node, at path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(path, "expected a sequence, found \(Self.kind(of: node))")
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    /// The node as a string. Plain scalars that YAML reads as numbers, booleans or null are not
    /// strings (quote them); an empty string is refused unless `allowEmpty`.
    mutating func string(_ node: Node, at path: String, allowEmpty: Bool = false) -> String? {
        guard case .scalar(let scalar) = node, Self.tagName(node) == Tag.Name.str.rawValue else {
            var reason = "expected a string, found \(Self.kind(of: node))"
            if case .scalar = node, !Self.isNull(node) { reason += " (put it in quotes to make it a string)" }
            report(path, reason)
            return nil
        }
        guard allowEmpty || !scalar.string.isEmpty else {
            report(path, "must not be empty")
            return nil
        }
        return scalar.string
    }

    /// The node as an integer satisfying `rule`. A quoted number is a string, not an integer.
    mutating func int(_ node: Node, at path: String, _ rule: IntRule) -> Int? {
        guard case .scalar(let scalar) = node, Self.tagName(node) == Tag.Name.int.rawValue,
            let value = Int.construct(from: scalar)
        else {
            var reason = "expected an integer, found \(Self.kind(of: node))"
            if case .scalar(let scalar) = node, Self.tagName(node) == Tag.Name.str.rawValue,
                Int(scalar.string.trimmingWhitespace()) != nil
            {
                reason += " (\"\(scalar.string)\"; remove the quotes to make it a number)"
            }
            report(path, reason)
            return nil
        }
        if let violation = rule.violation(value) {
            report(path, violation)
            return nil
        }
        return value
    }

    /// The node as a boolean (`true`/`false`; YAML 1.1 also reads `yes`/`no`/`on`/`off`).
    mutating func bool(_ node: Node, at path: String) -> Bool? {
        guard case .scalar(let scalar) = node, Self.tagName(node) == Tag.Name.bool.rawValue,
            let value = Bool.construct(from: scalar)
        else {
            report(path, "expected a boolean (true or false), found \(Self.kind(of: node))")
            return nil
        }
        return value
    }

    /// The node as one of `allowed` (a string); otherwise reports `unknown <what> '<value>'`.
    mutating func choice(_ node: Node, at path: String, of allowed: [String], what: String) -> String? {
        guard let value = string(node, at: path) else { return nil }
        guard allowed.contains(value) else {
            report(path, "unknown \(what) '\(value)' (expected one of: \(allowed.joined(separator: ", ")))")
            return nil
        }
        return value
    }

    // MARK: Node facts

    /// Whether the node is YAML null (`~`, `null`, or nothing after the colon).
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar = node else { return false }
        return tagName(node) == Tag.Name.null.rawValue
    }

    /// "a string", "an integer", ... for messages.
    static func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .alias: return "an alias"
        case .scalar:
            switch tagName(node) {
            case Tag.Name.str.rawValue: return "a string"
            case Tag.Name.int.rawValue: return "an integer"
            case Tag.Name.float.rawValue: return "a number with a fraction"
            case Tag.Name.bool.rawValue: return "a boolean"
            case Tag.Name.null.rawValue: return "null"
            case Tag.Name.timestamp.rawValue: return "a timestamp"
            default: return "a scalar tagged \(tagName(node))"
            }
        }
    }

    private static func tagName(_ node: Node) -> String {
        node.tag.description
    }

    /// The allowed key a misspelt one most likely meant: same letters in another case, or at
    /// most two edits away.
    static func closest(to key: String, in candidates: [String]) -> String? {
        if let match = candidates.first(where: { $0.lowercased() == key.lowercased() }) {
            return match
        }
        let scored = candidates.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2, best.1 < key.count else {
            return nil
        }
        return best.0
    }

    private static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
