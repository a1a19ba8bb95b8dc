import Yams

/// The entries of one YAML mapping, keyed by name, with the mapping's key path.
struct YAMLMapping {
    /// The mapping's own key path (`""` for the document's top level).
    let path: String
    /// The entries whose keys were allowed, in document order.
    let entries: [(key: String, value: Node)]

    /// The value for `key`, if present.
    subscript(key: String) -> Node? {
        entries.first { $0.key == key }?.value
    }

    /// The key path of `key` inside this mapping.
    func path(_ key: String) -> String {
        Self.join(path, key)
    }

    /// `parent.key`, or `key` at the top level. An empty key is written `""`, so that a
    /// problem with it still names a place.
    static func join(_ parent: String, _ key: String) -> String {
        let key = key.isEmpty ? "\"\"" : key
        return parent.isEmpty ? key : "\(parent).\(key)"
    }
}
