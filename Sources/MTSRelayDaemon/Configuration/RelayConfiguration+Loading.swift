import Foundation
import Yams

extension RelayConfiguration {
    /// Where `mts-relay` looks for its configuration unless told otherwise.
    public static let defaultPath = "/etc/mts-relay/mts-relay.yaml"

    /// Reads and validates the YAML file at `path`, then applies the environment.
    ///
    /// - Parameters:
    ///   - path: The YAML file. Problems with the file itself (missing, unreadable, not UTF-8,
    ///     not YAML) are reported with the path as the key path.
    ///   - environment: `MTS_RELAY_BROKER_URL`, `MTS_RELAY_INTAKE_URL` and the variables http
    ///     sink headers name as `${NAME}`; usually `ProcessInfo.processInfo.environment`.
    /// - Throws: `ConfigurationErrors` with every problem found, not only the first.
    public static func load(
        path: String, environment: [String: String]
    ) throws(ConfigurationErrors)
        -> RelayConfiguration
    {
        let text: String
        switch readFile(path) {
        case .success(let contents): text = contents
        case .failure(let error): throw ConfigurationErrors([error])
        }
        return try RelayConfiguration(yaml: text, environment: environment, source: path)
    }

    /// Reads and validates a YAML document, then applies the environment.
    ///
    /// Keys left out keep their defaults; `timeouts` entries are merged over the built-in
    /// per-operation timeouts. An empty document is the default configuration.
    ///
    /// - Throws: `ConfigurationErrors` with every problem found, section by section, then the
    ///   environment's.
    public init(yaml: String, environment: [String: String]) throws(ConfigurationErrors) {
        try self.init(yaml: yaml, environment: environment, source: nil)
    }

    /// `source` names the file in syntax errors (`<file>:<line>:<column>`).
    init(yaml: String, environment: [String: String], source: String?) throws(ConfigurationErrors) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationErrors([Self.syntaxError(error, source: source)])
        }
        var loader = ConfigurationLoader(environment: environment)
        loader.load(root)
        guard loader.reader.errors.isEmpty else { throw ConfigurationErrors(loader.reader.errors) }
        self = loader.configuration
    }

    private static func readFile(_ path: String) -> Result<String, ConfigurationError> {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(
                ConfigurationError(keyPath: path, reason: "cannot read the configuration: no such file"))
        }
        guard !isDirectory.boolValue else {
            return .failure(
                ConfigurationError(keyPath: path, reason: "cannot read the configuration: is a directory"))
        }
        guard let data = files.contents(atPath: path) else {
            return .failure(
                ConfigurationError(
                    keyPath: path, reason: "cannot read the configuration: permission denied or I/O error"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ConfigurationError(keyPath: path, reason: "the configuration is not UTF-8 text"))
        }
        return .success(text)
    }

    /// A YAML syntax error at `<source>:<line>:<column>`, without the snippet of the offending
    /// line Yams would print (it might hold a password).
    private static func syntaxError(_ error: any Error, source: String?) -> ConfigurationError {
        func at(_ mark: Mark) -> String {
            "\(source ?? "line"):\(mark.line):\(mark.column)"
        }
        guard let yamlError = error as? YamlError else {
            return ConfigurationError(keyPath: source ?? "", reason: "invalid YAML")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let while_ = context.map { "\($0.text), " } ?? ""
            return ConfigurationError(keyPath: at(mark), reason: "invalid YAML: \(while_)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ConfigurationError(
                keyPath: at(context.mark), reason: "duplicate key \(keys) in one mapping")
        case .reader(let problem, let offset, _, let yaml):
            // The reader (encoding, control characters) gives a byte offset, not a mark.
            guard let offset else {
                return ConfigurationError(keyPath: source ?? "", reason: "invalid YAML: \(problem)")
            }
            let line = 1 + yaml.utf8.prefix(offset).lazy.filter { $0 == UInt8(ascii: "\n") }.count
            return ConfigurationError(
                keyPath: "\(source ?? "line"):\(line)", reason: "invalid YAML: \(problem)")
        default:
            return ConfigurationError(keyPath: source ?? "", reason: "invalid YAML")
        }
    }
}
