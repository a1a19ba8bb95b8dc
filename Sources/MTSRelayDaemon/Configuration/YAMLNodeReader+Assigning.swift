import Yams

/// Reading a mapping's keys straight into configuration values: absent keys keep the
/// default, unusable values are reported and keep it too.
extension YAMLNodeReader {
    /// The node as a section mapping with `keys` allowed.
    mutating func section(_ node: Node, _ path: String, _ keys: [String]?) -> YAMLMapping? {
        mapping(node, at: path, allowedKeys: keys)
    }

    mutating func read(_ key: String, in mapping: YAMLMapping, into target: inout String) {
        if let node = mapping[key], let value = string(node, at: mapping.path(key)) { target = value }
    }

    /// An optional string: absent keeps the default, `null` clears it.
    mutating func readOptional(_ key: String, in mapping: YAMLMapping, into target: inout String?) {
        guard let node = mapping[key] else { return }
        if YAMLNodeReader.isNull(node) {
            target = nil
        } else if let value = string(node, at: mapping.path(key)) {
            target = value
        }
    }

    mutating func read(_ key: String, in mapping: YAMLMapping, into target: inout Bool) {
        if let node = mapping[key], let value = bool(node, at: mapping.path(key)) { target = value }
    }

    mutating func read(
        _ key: String, in mapping: YAMLMapping, _ rule: YAMLNodeReader.IntRule, into target: inout Int
    ) {
        if let node = mapping[key] { read(node, at: mapping.path(key), rule, into: &target) }
    }

    mutating func read(_ node: Node, at path: String, _ rule: YAMLNodeReader.IntRule, into target: inout Int)
    {
        if let value = int(node, at: path, rule) { target = value }
    }
}
