/// The version `mts-relay --version` prints.
enum MTSRelayVersion {
    static let current = "0.1.0"
}
