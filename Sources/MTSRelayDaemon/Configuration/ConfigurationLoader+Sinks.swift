import AMQPClient
import Foundation
import MTSCorrelation
import Yams

/// Reading `sinks`: a sequence of mappings whose `type` decides which other keys belong.
extension ConfigurationLoader {
    static let sinkTypes = ["stdout", "file", "http", "amqp"]

    static func sinkKeys(of type: String) -> [String] {
        let common = ["type", "name", "outcomes", "operations", "required", "maxBacklog"]
        switch type {
        case "file": return common + ["path"]
        case "http":
            return common + ["url", "timeoutMs", "batchSize", "headers", "deadLetterPath", "retry", "tls"]
        case "amqp": return common + ["url", "exchange", "routingKey", "retry"]
        default: return common
        }
    }

    /// `sinks[].maxBacklog`: at least one batch a sink reads at once, at most what a day at
    /// 1 000 results a second leaves behind.
    static let maxBacklogRange = 512...100_000_000

    /// Header names shown as `****` in the resolved description, whatever their value.
    static func isSecretHeader(_ name: String) -> Bool {
        ["authorization", "proxy-authorization"].contains(name.lowercased())
    }

    mutating func readSinks(_ node: Node) {
        let emptyReason =
            "must list at least one sink, or results would go nowhere (omit 'sinks' for one stdout sink)"
        if YAMLNodeReader.isNull(node) {
            reader.report("sinks", emptyReason)
            return
        }
        guard let items = reader.sequence(node, at: "sinks") else { return }
        guard !items.isEmpty else {
            reader.report("sinks", emptyReason)
            return
        }
        var sinks: [RelayConfiguration.Sink] = []
        var indexByName: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = "sinks[\(index)]"
            guard let (sink, namedExplicitly) = readSink(item, at: path) else { continue }
            if let first = indexByName[sink.name] {
                let hint = namedExplicitly ? "" : " (a sink's name defaults to its type; set 'name')"
                reader.report(
                    "\(path).name",
                    "duplicate sink name '\(sink.name)', already used by sinks[\(first)]\(hint)")
            } else {
                indexByName[sink.name] = index
            }
            sinks.append(sink)
        }
        configuration.sinks = sinks
    }

    /// One sink, and whether `name` was given; nil when it cannot be built (reported).
    private mutating func readSink(_ node: Node, at path: String) -> (RelayConfiguration.Sink, Bool)? {
        guard let all = reader.mapping(node, at: path, allowedKeys: nil) else { return nil }
        guard let typeNode = all["type"] else {
            reader.report(
                "\(path).type", "missing required key (one of: \(Self.sinkTypes.joined(separator: ", ")))")
            return nil
        }
        guard let type = reader.choice(typeNode, at: "\(path).type", of: Self.sinkTypes, what: "sink type")
        else {
            return nil
        }
        let sink = reader.only(Self.sinkKeys(of: type), in: all, what: "a \(type) sink")

        var name = type
        var namedExplicitly = false
        if let nameNode = sink["name"], let value = reader.string(nameNode, at: sink.path("name")) {
            name = value
            namedExplicitly = true
        }
        // readNames has checked every name against the list.
        let outcomes = Set(
            readNames("outcomes", in: sink, allowed: Self.outcomeNames).compactMap(CorrelationOutcome.init))
        let operations = readNames("operations", in: sink, allowed: nil)
        var retry = RelayConfiguration.Retry()
        if let retryNode = sink["retry"] { readRetry(retryNode, at: sink.path("retry"), into: &retry) }

        let kind: RelayConfiguration.Sink.Kind?
        switch type {
        case "file":
            kind = requiredString("path", in: sink, "the file results are appended to").map {
                .file(path: $0)
            }
        case "http": kind = readHTTP(sink).map { .http($0) }
        case "amqp": kind = readAMQP(sink).map { .amqp($0) }
        default: kind = .stdout
        }
        guard let kind else { return nil }
        var result = RelayConfiguration.Sink(
            name: name, kind: kind, outcomes: outcomes, operations: operations)
        result.retry = retry
        reader.read("required", in: sink, into: &result.required)
        reader.read("maxBacklog", in: sink, .within(Self.maxBacklogRange), into: &result.maxBacklog)
        return (result, namedExplicitly)
    }

    private mutating func readHTTP(_ sink: YAMLMapping) -> RelayConfiguration.HTTP? {
        var url: String?
        if let text = requiredString("url", in: sink, "the http or https URL records are POSTed to") {
            if let problem = HTTPURL.problem(text) {
                reader.report(sink.path("url"), problem)
            } else {
                url = text
            }
        }
        let deadLetterPath = requiredString(
            "deadLetterPath", in: sink, "the file records the endpoint refuses for good are appended to")
        var timeoutMs = RelayConfiguration.HTTP(url: "", deadLetterPath: "").timeoutMs
        var batchSize = RelayConfiguration.HTTP(url: "", deadLetterPath: "").batchSize
        reader.read("timeoutMs", in: sink, .atLeast(1), into: &timeoutMs)
        reader.read("batchSize", in: sink, .atLeast(1), into: &batchSize)
        var headers: [String: String] = [:]
        var templates: [String: String] = [:]
        if let headersNode = sink["headers"],
            let mapping = reader.mapping(headersNode, at: sink.path("headers"), allowedKeys: nil)
        {
            readHeaders(mapping, into: &headers, templates: &templates)
        }
        var caFile: String?
        if let tlsNode = sink["tls"], let tls = reader.section(tlsNode, sink.path("tls"), ["caFile"]) {
            reader.readOptional("caFile", in: tls, into: &caFile)
        }
        guard let url, let deadLetterPath else { return nil }
        var http = RelayConfiguration.HTTP(url: url, deadLetterPath: deadLetterPath)
        http.caFile = caFile
        http.timeoutMs = timeoutMs
        http.batchSize = batchSize
        http.headers = headers
        http.headerTemplates = templates
        return http
    }

    private mutating func readHeaders(
        _ mapping: YAMLMapping, into headers: inout [String: String], templates: inout [String: String]
    ) {
        var seen: [String: String] = [:]
        for (name, node) in mapping.entries {
            let path = mapping.path(name)
            guard HTTPURL.isHeaderName(name) else {
                reader.report(path, "'\(name)' is not a valid HTTP header name")
                continue
            }
            if let other = seen[name.lowercased()] {
                reader.report(
                    path, "header '\(name)' is already set as '\(other)' (header names ignore case)")
                continue
            }
            seen[name.lowercased()] = name
            guard let raw = reader.string(node, at: path, allowEmpty: true) else { continue }
            let value: String
            do {
                let template = try HeaderTemplate(parsing: raw)
                value = try template.resolve(in: environment)
                if template.hasVariables { templates[name] = raw }
            } catch {
                reader.report(path, error.reason)
                continue
            }
            guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                reader.report(path, "the value contains a line break or NUL, which a header cannot carry")
                continue
            }
            headers[name] = value
        }
    }

    private mutating func readAMQP(_ sink: YAMLMapping) -> RelayConfiguration.AMQP? {
        var url: String?
        if let node = sink["url"], !YAMLNodeReader.isNull(node),
            let text = reader.string(node, at: sink.path("url")),
            validateAMQPURL(text, at: sink.path("url"))
        {
            url = text
        }
        let exchange = requiredString("exchange", in: sink, "the exchange records are published to")
        var routingKey = RelayConfiguration.AMQP(exchange: "").routingKey
        if let node = sink["routingKey"], let template = reader.string(node, at: sink.path("routingKey")) {
            if let problem = Self.routingKeyProblem(template) {
                reader.report(sink.path("routingKey"), problem)
            } else {
                routingKey = template
            }
        }
        guard let exchange else { return nil }
        var amqp = RelayConfiguration.AMQP(exchange: exchange)
        amqp.url = url
        amqp.routingKey = routingKey
        return amqp
    }

    private mutating func readRetry(_ node: Node, at path: String, into retry: inout RelayConfiguration.Retry)
    {
        guard let mapping = reader.mapping(node, at: path, allowedKeys: ["initialDelayMs", "maxDelayMs"])
        else {
            return
        }
        reader.read("initialDelayMs", in: mapping, .atLeast(1), into: &retry.initialDelayMs)
        reader.read("maxDelayMs", in: mapping, .atLeast(1), into: &retry.maxDelayMs)
        if retry.maxDelayMs < retry.initialDelayMs {
            reader.report(
                mapping.path("maxDelayMs"),
                "must be at least initialDelayMs (\(retry.initialDelayMs)), found \(retry.maxDelayMs)")
        }
    }

    /// A sequence of names (`outcomes`, `operations`); each must be in `allowed` when given.
    private mutating func readNames(_ key: String, in mapping: YAMLMapping, allowed: [String]?) -> Set<String>
    {
        guard let node = mapping[key], let items = reader.sequence(node, at: mapping.path(key)) else {
            return []
        }
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            let path = "\(mapping.path(key))[\(index)]"
            let name =
                if let allowed {
                    reader.choice(item, at: path, of: allowed, what: "outcome")
                } else {
                    reader.string(item, at: path)
                }
            if let name { names.insert(name) }
        }
        return names
    }

    /// A string that must be present; `purpose` says what it is for in the report.
    private mutating func requiredString(_ key: String, in mapping: YAMLMapping, _ purpose: String) -> String?
    {
        guard let node = mapping[key] else {
            reader.report(mapping.path(key), "missing required key (\(purpose))")
            return nil
        }
        return reader.string(node, at: mapping.path(key))
    }

    /// `nil` when every `{...}` in the template is `{outcome}` or `{operation}`.
    static func routingKeyProblem(_ template: String) -> String? {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                return "'{' without a closing '}' (placeholders: {outcome}, {operation})"
            }
            let name = rest[rest.index(after: open)..<close]
            guard name == "outcome" || name == "operation" else {
                return "unknown placeholder '{\(name)}' (placeholders: {outcome}, {operation})"
            }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }
}
