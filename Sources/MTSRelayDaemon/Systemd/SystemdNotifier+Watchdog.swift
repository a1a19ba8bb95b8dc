import Glibc

extension SystemdNotifier {
    /// What the environment says about systemd's watchdog, and why it is off when it is
    /// set but unusable.
    struct WatchdogSetting: Equatable, Sendable {
        /// The watchdog timeout; nil when the watchdog is off for this process.
        var interval: Duration?
        /// Why a `WATCHDOG_USEC` that is present was not used, for a log line.
        var problem: String?
    }

    /// Reads `WATCHDOG_USEC` and `WATCHDOG_PID` as sd_watchdog_enabled(3) does.
    ///
    /// The watchdog is on when `WATCHDOG_USEC` is a positive number of microseconds (not
    /// systemd's "infinity", 2^64 - 1) and `WATCHDOG_PID`, when set, is `pid`: a child that
    /// inherited the variables of its parent must not ping on the parent's behalf.
    static func watchdogSetting(environment: [String: String], pid: pid_t) -> WatchdogSetting {
        guard let usecText = environment["WATCHDOG_USEC"], !usecText.isEmpty else {
            return WatchdogSetting(interval: nil)
        }
        guard let usec = UInt64(usecText), usec > 0, usec != UInt64.max else {
            return WatchdogSetting(interval: nil, problem: "WATCHDOG_USEC=\(usecText) is not a timeout")
        }
        if let pidText = environment["WATCHDOG_PID"], !pidText.isEmpty {
            guard let watchdogPID = pid_t(pidText), watchdogPID > 0 else {
                return WatchdogSetting(interval: nil, problem: "WATCHDOG_PID=\(pidText) is not a process id")
            }
            guard watchdogPID == pid else {
                return WatchdogSetting(
                    interval: nil, problem: "WATCHDOG_PID=\(pidText) is another process (this is \(pid))")
            }
        }
        return WatchdogSetting(interval: .microseconds(Int64(clamping: usec)))
    }
}
