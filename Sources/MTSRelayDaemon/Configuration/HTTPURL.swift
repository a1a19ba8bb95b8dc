import Foundation

/// Checks and masking for the http sink's URL and headers.
enum HTTPURL {
    /// `nil` when `text` is an absolute http or https URL with a host. The URL is never quoted.
    static func problem(_ text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            return "invalid URL: expected http://host[:port]/path or https://..."
        }
        guard ["http", "https"].contains(scheme.lowercased()) else {
            return "invalid URL: the scheme must be http or https"
        }
        guard let host = components.host, !host.isEmpty else {
            return "invalid URL: the URL has no host"
        }
        return nil
    }

    /// The URL with a password, if it has one, replaced by `****`.
    static func masked(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.percentEncodedPassword = "****"
        return components.string ?? "****"
    }

    /// Whether `name` is an RFC 9110 token, as header names must be.
    static func isHeaderName(_ name: String) -> Bool {
        let punctuation = Set("!#$%&'*+-.^_`|~".unicodeScalars)
        return !name.isEmpty
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (punctuation.contains(scalar) || scalar.properties.isAlphabetic
                        || ("0"..."9").contains(scalar))
            }
    }
}
