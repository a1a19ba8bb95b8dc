import Foundation
import MTSRelayDaemon

/// A systemd `EnvironmentFile=` (`/etc/mts-relay/env`): `KEY=VALUE` lines, blank lines and
/// comments (`#`, `;`), a value optionally in single or double quotes. What `check-config
/// --env-file` reads, so that an operator checks the configuration with the secrets the unit
/// would pass. Line continuations and escapes inside quotes are not supported: such a line is
/// reported, not guessed at.
struct EnvironmentFile {
    let path: String

    /// The variables, or one problem per malformed line (values never shown: they are secrets).
    func variables() -> Result<[String: String], ConfigurationErrors> {
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8)
        else {
            return .failure(
                ConfigurationErrors([
                    ConfigurationError(keyPath: path, reason: "cannot read the environment file")
                ]))
        }
        var variables: [String: String] = [:]
        var problems: [ConfigurationError] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard let equals = line.firstIndex(of: "="),
                Self.isName(line[..<equals].trimmingCharacters(in: .whitespaces))
            else {
                problems.append(
                    ConfigurationError(keyPath: "\(path):\(index + 1)", reason: "expected NAME=VALUE"))
                continue
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if let quote = value.first, quote == "\"" || quote == "'" {
                guard value.count >= 2, value.last == quote else {
                    problems.append(
                        ConfigurationError(
                            keyPath: "\(path):\(index + 1)",
                            reason: "\(name): the quote is not closed on its line"))
                    continue
                }
                value = String(value.dropFirst().dropLast())
            }
            variables[name] = value
        }
        return problems.isEmpty ? .success(variables) : .failure(ConfigurationErrors(problems))
    }

    private static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII,
            first == "_" || CharacterSet.letters.contains(first)
        else {
            return false
        }
        return text.unicodeScalars.allSatisfy {
            $0 == "_" || CharacterSet.alphanumerics.contains($0) && $0.isASCII
        }
    }
}
