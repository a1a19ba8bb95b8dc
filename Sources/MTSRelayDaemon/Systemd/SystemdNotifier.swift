import Glibc
import Logging
import Synchronization

/// Tells systemd about the daemon's state: `READY=1`, `STATUS=...`, `WATCHDOG=1` and
/// `STOPPING=1`, as sd_notify(3) does.
///
/// The datagram protocol is written here directly instead of linking libsystemd's
/// `sd_notify`: it is one `sendto` of `KEY=VALUE` lines to the `AF_UNIX` datagram socket named
/// by `NOTIFY_SOCKET`, and doing it ourselves keeps the daemon free of another C dependency
/// (no module map, no `libsystemd-dev` at build time, no `libsystemd0` at run time) and
/// builds the same on machines without systemd.
///
/// The notifier exists only when `NOTIFY_SOCKET` is set (the unit has `Type=notify`), so
/// callers hold a `SystemdNotifier?` and call through it with `?.`; outside systemd nothing is
/// sent. Nothing it does is fatal: a notification that cannot be sent is logged and dropped.
///
/// Sending never blocks: the socket is non-blocking and every send also passes
/// `MSG_DONTWAIT`, so a receiver whose queue is full (it holds `net.unix.max_dgram_qlen`
/// datagrams: 512 under systemd, which raises the kernel's small default at boot) costs a dropped
/// datagram and a log line, never a stalled thread of the cooperative pool. `WATCHDOG=1` and
/// `STATUS=` are dropped at once, as the next one follows shortly; `READY=1` and `STOPPING=1`,
/// sent once each and not to be lost, are retried every 5 ms for up to 200 ms first.
///
/// The class is `Sendable` without `@unchecked`: its stored properties are immutable or
/// `Mutex`es (the failure flag, the time of the last watchdog ping), and the one shared
/// resource, the socket descriptor, is only passed to `sendto`, which the kernel serialises;
/// each call sends exactly one whole datagram, so notifications from different tasks never
/// interleave. The descriptor is closed in `deinit`, when no call can be running.
/// The socket is unconnected and every datagram names its destination, so a systemd that
/// re-executes itself and recreates `/run/systemd/notify` is still reached.
public final class SystemdNotifier: Sendable {
    /// Where notifications go (the value of `NOTIFY_SOCKET`).
    public var socketPath: String { address.value }

    /// systemd's watchdog timeout for this process (`WATCHDOG_USEC`, when `WATCHDOG_PID` is
    /// unset or is this process's id); nil when the unit has no `WatchdogSec=`.
    public let watchdogInterval: Duration?

    /// How often to send `WATCHDOG=1`: half of `watchdogInterval`, as sd_watchdog_enabled(3)
    /// recommends, so one late ping does not trip the watchdog.
    public var watchdogPingInterval: Duration? { watchdogInterval.map { $0 / 2 } }

    private let address: NotifySocketAddress
    private let descriptor: Int32
    private let logger: Logger
    /// Whether the last send failed, so a lasting failure is logged once, not on every ping.
    private let failing = Mutex(false)
    /// When `watchdog()` last sent `WATCHDOG=1`.
    private let lastWatchdogPing = Mutex<ContinuousClock.Instant?>(nil)

    /// The least time between two `WATCHDOG=1` that `watchdog()` sends: one second, or a
    /// quarter of the watchdog timeout when that is shorter.
    public var watchdogSpacing: Duration {
        guard let watchdogInterval else { return .seconds(1) }
        return min(.seconds(1), watchdogInterval / 4)
    }

    /// The longest datagram sent. systemd reads notifications into a buffer of about 4 KiB
    /// (NOTIFY_BUFFER_MAX) and ignores a truncated one, so longer `STATUS=` texts are cut.
    static let maximumMessageBytes = 4000

    /// How long `READY=1` and `STOPPING=1` are retried while the receiver's queue is full.
    static let oneOffPatience: Duration = .milliseconds(200)

    /// Creates a notifier for the socket named by `NOTIFY_SOCKET` in `environment`.
    ///
    /// Returns nil, so that notifications become no-ops, when `NOTIFY_SOCKET` is unset or
    /// empty (not started by systemd, or not `Type=notify`), and also, with a log line, when it
    /// cannot be used (not an absolute path or `@name`, too long, or no socket could be made).
    /// - Parameters:
    ///   - environment: the process environment, e.g. `ProcessInfo.processInfo.environment`.
    ///   - logger: where failures are reported.
    public init?(environment: [String: String], logger: Logger = Logger(label: "mts-relay.systemd")) {
        guard let value = environment["NOTIFY_SOCKET"], !value.isEmpty else { return nil }
        let address: NotifySocketAddress
        do {
            address = try NotifySocketAddress(value)
        } catch {
            logger.error("systemd notifications are off: \(error)")
            return nil
        }
        let descriptor = socket(
            AF_UNIX,
            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else {
            logger.error(
                "systemd notifications are off: cannot create a socket: \(String(cString: strerror(errno)))")
            return nil
        }
        let watchdog = Self.watchdogSetting(environment: environment, pid: getpid())
        if let problem = watchdog.problem {
            logger.warning("systemd watchdog is off: \(problem)")
        }
        self.address = address
        self.descriptor = descriptor
        self.logger = logger
        self.watchdogInterval = watchdog.interval
    }

    deinit {
        Glibc.close(descriptor)
    }

    /// Sends `READY=1`: start-up is complete (the consumers are up), and with `status` also
    /// the first `STATUS=` line, in the same datagram.
    public func ready(status: String? = nil) {
        let message = status.map { "READY=1\n\(Self.statusAssignment($0))" } ?? "READY=1"
        send(message, patience: Self.oneOffPatience)
    }

    /// Sends `STATUS=text`, which `systemctl status` shows. Newlines become spaces and a text
    /// too long for one notification is cut.
    public func status(_ text: String) {
        send(Self.statusAssignment(text))
    }

    /// Sends `WATCHDOG=1`: the daemon is alive. Call it at least every
    /// `watchdogPingInterval` from the loop whose progress it vouches for.
    ///
    /// Cheap enough to call for every message: a call less than `watchdogSpacing` after the
    /// last ping that went out sends nothing, so systemd gets at most about one ping a second
    /// however busy the loop is.
    public func watchdog() {
        let now = ContinuousClock.now
        let spacing = watchdogSpacing
        let due = lastWatchdogPing.withLock { last in
            if let previous = last, now - previous < spacing { return false }
            last = now
            return true
        }
        if due { send("WATCHDOG=1") }
    }

    /// Sends `STOPPING=1`: the daemon has begun shutting down.
    public func stopping() {
        send("STOPPING=1", patience: Self.oneOffPatience)
    }

    /// Sends one notification: newline-separated `KEY=VALUE` assignments (sd_notify(3)).
    /// - Returns: whether the datagram was handed to the kernel. Failures are logged, never
    ///   thrown: systemd notifications must never take the daemon down.
    @discardableResult
    public func send(_ assignments: String) -> Bool {
        send(assignments, patience: .zero)
    }

    /// Sends one notification; while the receiver's queue is full, tries again every 5 ms
    /// until `patience` has passed.
    @discardableResult
    func send(_ assignments: String, patience: Duration) -> Bool {
        let bytes = Array(assignments.utf8)
        guard !bytes.isEmpty else { return true }
        let deadline = ContinuousClock.now + patience
        var (sent, error) = sendOnce(bytes)
        while !sent, error == EAGAIN || error == EWOULDBLOCK, ContinuousClock.now < deadline {
            usleep(5_000)
            (sent, error) = sendOnce(bytes)
        }
        let wasFailing = failing.withLock { failing in
            defer { failing = !sent }
            return failing
        }
        if sent {
            if wasFailing { logger.info("systemd notifications are reaching \(address) again") }
            return true
        }
        let what = assignments.split(separator: "\n").first.map(String.init) ?? ""
        let reason =
            error == EAGAIN || error == EWOULDBLOCK
            ? "the socket's queue is full (not blocking for it)" : String(cString: strerror(error))
        let message: Logger.Message = "systemd notification \(what) to \(address) dropped: \(reason)"
        if wasFailing {
            logger.debug(message)
        } else {
            logger.warning(message)
        }
        return false
    }

    /// One non-blocking `sendto`; whether it went out, and `errno` when not.
    private func sendOnce(_ bytes: [UInt8]) -> (sent: Bool, error: Int32) {
        address.withSockaddr { socketAddress, length in
            bytes.withUnsafeBytes { buffer in
                while true {
                    let result = sendto(
                        descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL),
                        socketAddress, length)
                    if result >= 0 { return (true, 0) }
                    if errno != EINTR { return (false, errno) }
                }
            }
        }
    }

    /// `STATUS=text` with newlines replaced and the length bounded.
    static func statusAssignment(_ text: String) -> String {
        var line = "STATUS="
        var bytes = line.utf8.count
        let limit = maximumMessageBytes - "READY=1\n".utf8.count
        for character in text {
            let piece = character.isNewline ? " " : String(character)
            bytes += piece.utf8.count
            guard bytes <= limit else { break }
            line += piece
        }
        return line
    }
}
