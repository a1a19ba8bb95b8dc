import Foundation

extension RelayConfiguration {
    /// Warnings about secrets in the configuration file itself: one for each key of the file
    /// (not of the environment) whose URL carries a password, when the file can be read by
    /// group or others. `check-config` prints them; the file should be 0600, or the URLs
    /// should move to the environment file that systemd reads as root.
    ///
    /// `guest:guest`, RabbitMQ's built-in account that RabbitMQ accepts from loopback only, is
    /// not counted as a secret. The warnings never quote the password.
    ///
    /// - Parameter environment: for the `${NAME}` header values; the URL variables in it are
    ///   left out, so that the file's own URLs are the ones checked.
    public static func fileSecretWarnings(path: String, environment: [String: String]) -> [String] {
        var info = stat()
        let fileOnly = environment.filter {
            $0.key != "MTS_RELAY_BROKER_URL" && $0.key != "MTS_RELAY_INTAKE_URL"
        }
        guard stat(path, &info) == 0, info.st_mode & 0o044 != 0,
            let text = try? String(contentsOfFile: path, encoding: .utf8),
            let configuration = try? RelayConfiguration(yaml: text, environment: fileOnly)
        else { return [] }
        var urls: [(key: String, url: String, variable: String?)] = [
            ("broker.url", configuration.broker.url, "MTS_RELAY_BROKER_URL")
        ]
        if let intake = configuration.intake.url {
            urls.append(("intake.url", intake, "MTS_RELAY_INTAKE_URL"))
        }
        for (index, sink) in configuration.sinks.enumerated() {
            switch sink.kind {
            case .amqp(let amqp): if let url = amqp.url { urls.append(("sinks[\(index)].url", url, nil)) }
            case .http(let http): urls.append(("sinks[\(index)].url", http.url, nil))
            case .stdout, .file: break
            }
        }
        let mode = String(info.st_mode & 0o777, radix: 8)
        return urls.filter { hasPassword($0.url) }.map { key, _, variable in
            let move =
                variable.map { "set \($0) in the environment file (/etc/mts-relay/env, mode 0600)" }
                ?? "keep the file at mode 0600"
            return "warning: \(key): \(path) holds a password in this URL and can be read by others "
                + "(mode 0\(mode)); \(move), or chmod 0600 \(path)"
        }
    }

    /// Whether a URL's user information has a non-empty password (other than guest:guest).
    static func hasPassword(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest[..<(rest.firstIndex(of: "/") ?? rest.endIndex)]
        guard let at = authority.lastIndex(of: "@") else { return false }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return false }
        let password = userInfo[userInfo.index(after: colon)...]
        return !password.isEmpty && userInfo != "guest:guest"
    }
}
