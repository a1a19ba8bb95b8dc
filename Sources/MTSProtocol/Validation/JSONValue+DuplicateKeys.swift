extension JSONValue {
    /// One "duplicate key" violation for every member whose key an earlier member of the same
    /// object already used. Called only when the parser saw a duplicate, so valid messages skip it.
    func duplicateKeyViolations() -> [Violation] {
        var violations: [Violation] = []
        collectDuplicateKeys(at: .root, into: &violations)
        return violations
    }

    private func collectDuplicateKeys(at path: JSONPath, into violations: inout [Violation]) {
        switch self {
        case .object(let object):
            var seen = Set<String>()
            for member in object.members {
                let memberPath = path.appending(member.key)
                if !seen.insert(member.key).inserted {
                    violations.append(Violation(path: memberPath.rendered, reason: "duplicate key"))
                }
                member.value.collectDuplicateKeys(at: memberPath, into: &violations)
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                element.collectDuplicateKeys(at: path.appending(index: index), into: &violations)
            }
        default:
            return
        }
    }
}
