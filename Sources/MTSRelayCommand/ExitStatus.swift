import ArgumentParser

/// The exit statuses every `mts-relay` command (and `mts-sim`) shares, from BSD's sysexits.h
/// so that systemd and scripts can tell a bad file from a failure worth retrying. The table is
/// in docs/exit-status.md and the README.
enum ExitStatus {
    /// The check found a problem (an invalid message), or the daemon stopped on an error it
    /// may not meet again (the broker, the store): systemd restarts it.
    static let failure = ExitCode(1)
    /// The command line is wrong (EX_USAGE); ArgumentParser's own status for its errors.
    static let usage = ExitCode(64)
    /// An input file named on the command line cannot be read (EX_NOINPUT).
    static let noInput = ExitCode(66)
    /// A service the command needs does not answer or refuses (EX_UNAVAILABLE).
    static let unavailable = ExitCode(69)
    /// The configuration is invalid: unreadable, a bad key, a missing secret, a directory the
    /// relay cannot write in (EX_CONFIG). The unit has `RestartPreventExitStatus=78`: restarting
    /// cannot mend a file.
    static let configuration = ExitCode(78)
}
