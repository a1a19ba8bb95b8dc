import CBuildInfo

/// The version `mts-relay --version` prints and the start line logs: the release number and
/// the git commit the build scripts embedded (scripts/lib/build-info.sh).
enum MTSRelayVersion {
    /// The release, also the Debian package's version (scripts/package.sh reads it from here).
    static let number = "0.1.0"

    /// The commit, with `-dirty` when the tree had changes; nil for a plain `swift build`.
    static let commit: String? = {
        let embedded = String(cString: mts_relay_git_commit())
        return embedded.isEmpty ? nil : embedded
    }()

    /// `0.1.0 (commit 89e09af1c2d3)`, or `0.1.0 (unknown commit)`.
    static var current: String {
        "\(number) (\(commit.map { "commit \($0)" } ?? "unknown commit"))"
    }
}
