/// An HTTP header value that may name environment variables: `${NAME}`, alone or inside text
/// (`Bearer ${MTS_RELAY_TOKEN}`). Resolved once, when the configuration is loaded.
struct HeaderTemplate {
    /// A piece of the value: literal text, or the variable to read.
    enum Part: Equatable {
        case text(String)
        case variable(String)
    }

    let parts: [Part]

    /// Whether the value names at least one variable.
    var hasVariables: Bool {
        parts.contains { if case .variable = $0 { true } else { false } }
    }

    /// Splits `value` into text and `${NAME}` references. Throws a reason when a `${` is not
    /// closed or the name is not `[A-Za-z_][A-Za-z0-9_]*`. A `$` not followed by `{` is text.
    init(parsing value: String) throws(HeaderTemplateError) {
        var parts: [Part] = []
        var rest = Substring(value)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<start.lowerBound]))) }
            let afterOpen = rest[start.upperBound...]
            guard let close = afterOpen.firstIndex(of: "}") else {
                throw HeaderTemplateError(reason: "'${' without a closing '}'")
            }
            let name = String(afterOpen[..<close])
            guard Self.isVariableName(name) else {
                throw HeaderTemplateError(
                    reason:
                        "'${\(name.prefix(40))}' does not name an environment variable (letters, digits, _)")
            }
            parts.append(.variable(name))
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    /// The value with every variable replaced from `environment`; throws naming the first
    /// variable that is not set.
    func resolve(in environment: [String: String]) throws(HeaderTemplateError) -> String {
        var value = ""
        for part in parts {
            switch part {
            case .text(let text):
                value += text
            case .variable(let name):
                guard let resolved = environment[name] else {
                    throw HeaderTemplateError(reason: "environment variable \(name) is not set")
                }
                value += resolved
            }
        }
        return value
    }

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first,
            first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && $0.properties.isAlphanumeric) }
    }
}

/// Why a header value could not be resolved.
struct HeaderTemplateError: Error {
    let reason: String
}

extension Unicode.Scalar.Properties {
    /// Letters and digits.
    fileprivate var isAlphanumeric: Bool {
        isAlphabetic || numericType == .decimal
    }
}
