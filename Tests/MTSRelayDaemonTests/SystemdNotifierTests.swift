import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import MTSRelayDaemon

@Suite("systemd notifier")
struct SystemdNotifierTests {
    // MARK: The datagram protocol, against real sockets

    @Test func sendsEveryNotificationToAPathSocket() async throws {
        let listener = try NotifySocketListener()
        #expect(listener.path.hasPrefix("/"))
        let notifier = try #require(SystemdNotifier(environment: listener.environment))
        #expect(notifier.socketPath == listener.path)

        notifier.ready()
        notifier.status("pending=3 matched/s=1.5 sinks: results=ok")
        notifier.watchdog()
        notifier.stopping()

        let messages = await listener.waitForMessages(count: 4, timeout: .seconds(5))
        #expect(
            messages == [
                "READY=1", "STATUS=pending=3 matched/s=1.5 sinks: results=ok", "WATCHDOG=1", "STOPPING=1",
            ])
    }

    @Test func sendsToAnAbstractSocket() async throws {
        let listener = try NotifySocketListener(abstract: true)
        #expect(listener.path.hasPrefix("@"))
        let notifier = try #require(SystemdNotifier(environment: listener.environment))

        notifier.ready()
        notifier.watchdog()

        #expect(await listener.waitFor("READY=1", timeout: .seconds(5)))
        #expect(await listener.waitFor("WATCHDOG=1", timeout: .seconds(5)))
        #expect(listener.messages == ["READY=1", "WATCHDOG=1"])
    }

    @Test func readyWithAStatusIsOneDatagram() async throws {
        let listener = try NotifySocketListener()
        let notifier = try #require(SystemdNotifier(environment: listener.environment))

        notifier.ready(status: "consuming\nintake and replies")

        #expect(
            await listener.waitForMessages(count: 1, timeout: .seconds(5)) == [
                "READY=1\nSTATUS=consuming intake and replies"
            ])
        #expect(listener.assignments == ["READY=1", "STATUS=consuming intake and replies"])
    }

    @Test func notificationsFromManyTasksArriveWhole() async throws {
        let listener = try NotifySocketListener()
        let notifier = try #require(SystemdNotifier(environment: listener.environment))

        // A burst overflows the receiver's queue (net.unix.max_dgram_qlen, 10 by default)
        // and some sends are dropped; every one reported sent must arrive, whole.
        let sent = await withTaskGroup(of: [String].self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<25).compactMap { index in
                        let message = "STATUS=task=\(task) index=\(index)"
                        return notifier.send(message) ? message : nil
                    }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }

        let messages = await listener.waitForMessages(count: sent.count, timeout: .seconds(10))
        #expect(sent.count >= 10)
        #expect(messages.count == sent.count)
        #expect(Set(messages) == Set(sent))
    }

    @Test func readyWaitsBrieflyForAFullQueue() async throws {
        let (descriptor, path) = try Self.boundSilentSocket()
        defer {
            close(descriptor)
            unlink(path)
        }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": path]))
        var queued = 0
        while notifier.send("WATCHDOG=1") { queued += 1 }
        #expect(queued > 0)

        // A receiver that catches up 50 ms later, like a busy systemd.
        let drained = Drained()
        let reader = Thread {
            usleep(50_000)  // time passes: the receiver is 50 ms late, the subject of the test
            drained.drain(descriptor, for: .seconds(1))
        }
        reader.start()
        let start = ContinuousClock.now
        notifier.ready()
        let waited = ContinuousClock.now - start

        #expect(waited >= .milliseconds(30), "READY=1 went out although the queue was full?")
        #expect(waited < .milliseconds(1000))
        try await waitUntil("the receiver drained", timeout: .seconds(5), every: .milliseconds(10)) {
            drained.finished
        }
        #expect(drained.messages.count == queued + 1)
        #expect(drained.messages.last == "READY=1")
    }

    @Test func aFullReceiverQueueDropsInsteadOfBlocking() throws {
        // A bound socket nobody reads: its queue fills after a few hundred datagrams.
        let (descriptor, path) = try Self.boundSilentSocket()
        defer {
            close(descriptor)
            unlink(path)
        }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": path]))

        let start = ContinuousClock.now
        let results = (0..<5000).map { _ in notifier.send("WATCHDOG=1") }
        let elapsed = ContinuousClock.now - start

        #expect(results.contains(true))
        #expect(results.contains(false), "the queue of an unread socket should fill up")
        #expect(elapsed < .seconds(5), "sends must not wait for the receiver")
    }

    @Test func aMissingSocketIsLoggedNotFatal() async throws {
        let listener = try NotifySocketListener()
        let notifier = try #require(SystemdNotifier(environment: listener.environment))
        listener.close()
        // The listener's thread removes the socket within its 50 ms poll.
        try await waitUntil("the socket removed", timeout: .seconds(5), every: .milliseconds(10)) {
            !FileManager.default.fileExists(atPath: listener.path)
        }

        #expect(notifier.send("WATCHDOG=1") == false)
        notifier.ready()
        notifier.stopping()
    }

    static let systemdNotify = RequiredTool.find(["/usr/bin/systemd-notify", "/bin/systemd-notify"])

    /// Cross-checks the listener (and so the address conventions the notifier shares with it)
    /// against libsystemd's own sd_notify, which systemd-notify calls.
    @Test(
        .enabled(
            if: RequiredTool.shouldRun(systemdNotify),
            "systemd-notify is not installed (Debian package systemd)"),
        arguments: [false, true])
    func theListenerHearsLibsystemd(abstract: Bool) async throws {
        let listener = try NotifySocketListener(abstract: abstract)
        let run = try await Self.run(
            try #require(Self.systemdNotify, "systemd-notify is missing: Debian's systemd package"),
            ["--no-block", "--ready", "--status=from libsystemd"],
            environment: listener.environment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(await listener.waitFor("READY=1", timeout: .seconds(10)))
        #expect(listener.assignments.contains("STATUS=from libsystemd"))
    }

    // MARK: NOTIFY_SOCKET

    @Test func withoutNotifySocketThereIsNoNotifier() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]) == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"]) == nil)
    }

    @Test func anUnusableNotifySocketIsNoNotifier() {
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "run/notify"]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@"]) == nil)
        #expect(
            SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]) == nil)
    }

    @Test func addressLengthsFollowSystemdsConvention() throws {
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        // A path counts its terminating NUL.
        let path = try NotifySocketAddress("/run/systemd/notify")
        #expect(path.length == socklen_t(offset + "/run/systemd/notify".utf8.count + 1))
        #expect(!path.isAbstract)
        // An abstract name is a NUL and the name, exactly.
        let abstract = try NotifySocketAddress("@sd-notify")
        #expect(abstract.length == socklen_t(offset + "@sd-notify".utf8.count))
        #expect(abstract.isAbstract)
        abstract.withSockaddr { address, length in
            let bytes = UnsafeRawPointer(address).advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            #expect(bytes[0] == 0)
            #expect(
                String(decoding: UnsafeBufferPointer(start: bytes + 1, count: 9), as: UTF8.self)
                    == "sd-notify")
            #expect(address.pointee.sa_family == sa_family_t(AF_UNIX))
        }
        // 107 path bytes and the NUL fill sun_path; 108 do not fit.
        #expect(throws: Never.self) { try NotifySocketAddress("/" + String(repeating: "p", count: 106)) }
        #expect(throws: NotifySocketAddress.Problem.self) {
            try NotifySocketAddress("/" + String(repeating: "p", count: 107))
        }
        // An abstract name may use all 108 bytes ("@" becomes the NUL).
        #expect(throws: Never.self) { try NotifySocketAddress("@" + String(repeating: "a", count: 107)) }
    }

    // MARK: WATCHDOG_USEC and WATCHDOG_PID

    @Test func watchdogIntervalComesFromWatchdogUsec() throws {
        let listener = try NotifySocketListener()
        var environment = listener.environment
        environment["WATCHDOG_USEC"] = "30000000"
        let notifier = try #require(SystemdNotifier(environment: environment))
        #expect(notifier.watchdogInterval == .seconds(30))
        #expect(notifier.watchdogPingInterval == .seconds(15))

        environment["WATCHDOG_PID"] = "\(getpid())"
        #expect(SystemdNotifier(environment: environment)?.watchdogInterval == .seconds(30))
    }

    @Test func watchdogPingsAreSpacedOut() async throws {
        let listener = try NotifySocketListener()
        var environment = listener.environment
        environment["WATCHDOG_USEC"] = "400000"  // 400 ms: pings at least 100 ms apart
        let notifier = try #require(SystemdNotifier(environment: environment))
        #expect(notifier.watchdogSpacing == .milliseconds(100))

        let start = ContinuousClock.now
        for _ in 0..<1000 { notifier.watchdog() }
        let busyLoop = ContinuousClock.now - start
        try await letTimePass(.milliseconds(150), "more than the 100 ms spacing")
        notifier.watchdog()
        notifier.watchdog()

        let messages = await listener.waitForMessages(count: 2, timeout: .seconds(5))
        try await letTimePass(.milliseconds(50), "a window in which a third ping would arrive")
        #expect(busyLoop < .milliseconds(100), "the loop should have taken far less than the spacing")
        #expect(messages == ["WATCHDOG=1", "WATCHDOG=1"])
        #expect(listener.messages.count == 2)
        // Without a watchdog timeout, one ping a second at most.
        #expect(
            try #require(SystemdNotifier(environment: listener.environment)).watchdogSpacing == .seconds(1))
    }

    @Test func watchdogPIDOfAnotherProcessTurnsTheWatchdogOff() async throws {
        let listener = try NotifySocketListener()
        var environment = listener.environment
        environment["WATCHDOG_USEC"] = "30000000"
        environment["WATCHDOG_PID"] = "\(getpid() + 1)"
        let notifier = try #require(SystemdNotifier(environment: environment))
        #expect(notifier.watchdogInterval == nil)
        #expect(notifier.watchdogPingInterval == nil)
        // Notifications other than the watchdog still go out.
        notifier.ready()
        #expect(await listener.waitFor("READY=1", timeout: .seconds(5)))
    }

    @Test func watchdogSettingParsing() {
        func setting(_ environment: [String: String]) -> SystemdNotifier.WatchdogSetting {
            SystemdNotifier.watchdogSetting(environment: environment, pid: 4242)
        }
        #expect(setting([:]) == .init(interval: nil, problem: nil))
        #expect(setting(["WATCHDOG_USEC": "1500000"]).interval == .milliseconds(1500))
        #expect(
            setting(["WATCHDOG_USEC": "1500000", "WATCHDOG_PID": "4242"]).interval == .milliseconds(1500))
        #expect(setting(["WATCHDOG_USEC": "1500000", "WATCHDOG_PID": ""]).interval == .milliseconds(1500))
        #expect(setting(["WATCHDOG_USEC": "1500000", "WATCHDOG_PID": "4243"]).interval == nil)
        #expect(
            setting(["WATCHDOG_USEC": "1500000", "WATCHDOG_PID": "4243"]).problem?.contains("4243") == true)
        #expect(setting(["WATCHDOG_USEC": "1500000", "WATCHDOG_PID": "x"]).interval == nil)
        #expect(setting(["WATCHDOG_USEC": "0"]).interval == nil)
        #expect(setting(["WATCHDOG_USEC": "-5"]).interval == nil)
        #expect(setting(["WATCHDOG_USEC": "30s"]).problem != nil)
        #expect(setting(["WATCHDOG_USEC": "18446744073709551615"]).interval == nil)  // infinity
    }

    // MARK: STATUS= text

    @Test func statusLineFormatsPendingRateAndSinks() {
        #expect(
            SystemdNotifier.statusLine(
                pending: 123, matchedPerSecond: 45.63,
                sinks: [(name: "results", healthy: true), (name: "webhook", healthy: false)])
                == "pending=123 matched/s=45.6 sinks: results=ok, webhook=failing")
        #expect(
            SystemdNotifier.statusLine(pending: 0, matchedPerSecond: 0, sinks: [])
                == "pending=0 matched/s=0.0 sinks: none")
        #expect(
            SystemdNotifier.statusLine(
                pending: 7, matchedPerSecond: 1999.96, sinks: [(name: "stdout", healthy: true)])
                == "pending=7 matched/s=2000.0 sinks: stdout=ok")
        #expect(
            SystemdNotifier.statusLine(
                pending: 1, matchedPerSecond: 2, watermarkLags: [("replies", 120), ("intake", nil)],
                sinks: [(name: "results", healthy: true)])
                == "pending=1 matched/s=2.0 lag: replies=0.1s intake=unknown sinks: results=ok")
    }

    @Test func rateFormatting() {
        #expect(SystemdNotifier.oneDecimal(0.04) == "0.0")
        #expect(SystemdNotifier.oneDecimal(0.05) == "0.1")
        #expect(SystemdNotifier.oneDecimal(12) == "12.0")
        #expect(SystemdNotifier.oneDecimal(-3) == "0.0")
        #expect(SystemdNotifier.oneDecimal(.nan) == "0.0")
        #expect(SystemdNotifier.oneDecimal(.infinity) == "0.0")
    }

    @Test func statusTextIsOneLineAndBounded() {
        #expect(SystemdNotifier.statusAssignment("a\nb\r\nc") == "STATUS=a b c")
        let long = SystemdNotifier.statusAssignment(String(repeating: "é", count: 5000))
        #expect(long.utf8.count <= SystemdNotifier.maximumMessageBytes - "READY=1\n".utf8.count)
        #expect(long.hasPrefix("STATUS=éé"))
        #expect(long.utf8.count > 3900)
    }

    // MARK: The unit file

    static let unitPath = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "systemd/mts-relay.service").path

    static let systemdAnalyze = RequiredTool.find(["/usr/bin/systemd-analyze", "/bin/systemd-analyze"])

    /// systemd-analyze, or a failure naming its package (on CI, where a missing tool fails).
    static func analyze() throws -> String {
        try #require(
            systemdAnalyze, "systemd-analyze is missing: scripts/setup.sh installs Debian's systemd package")
    }

    @Test(
        .enabled(
            if: RequiredTool.shouldRun(systemdAnalyze),
            "systemd-analyze is not installed (Debian package systemd); the unit's exposure is not checked"))
    func unitExposureIsBelowTwo() async throws {
        let output = try await Self.run(
            try Self.analyze(), ["security", "--offline=true", "--no-pager", Self.unitPath])
        let line = try #require(
            output.stdout.split(separator: "\n").first {
                $0.contains("Overall exposure level for mts-relay.service")
            },
            "no exposure line in: \(output.stdout) \(output.stderr)")
        let figure = try #require(
            line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) },
            "cannot read the figure in \(line)")
        #expect(figure < 2.0, "\(line)")
    }

    @Test(
        .enabled(
            if: RequiredTool.shouldRun(systemdAnalyze),
            "systemd-analyze is not installed (Debian package systemd); the unit is not verified"))
    func unitVerifies() async throws {
        // verify insists that the binaries exist: check a copy that runs /bin/true instead.
        let unit = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
        let lines = Set(unit.split(separator: "\n").map(String.init))
        #expect(lines.contains("ExecStart=/usr/bin/mts-relay run --config /etc/mts-relay/mts-relay.yaml"))
        #expect(
            lines.contains(
                "ExecStartPre=/usr/bin/mts-relay check-config --quiet --config /etc/mts-relay/mts-relay.yaml")
        )
        #expect(lines.contains("RestartPreventExitStatus=78"))
        #expect(lines.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        #expect(lines.contains("StartLimitBurst=5"))
        let directory = FileManager.default.temporaryDirectory.appending(path: "mts-relay-unit-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appending(path: "mts-relay.service")
        try unit.replacingOccurrences(of: "=/usr/bin/mts-relay ", with: "=/bin/true ")
            .write(to: copy, atomically: true, encoding: .utf8)

        let output = try await Self.run(try Self.analyze(), ["verify", "--man=no", copy.path])
        #expect(output.status == 0, "\(output.stderr)")
        #expect(!output.stderr.contains("mts-relay.service:"), "\(output.stderr)")
    }

    // MARK: Helpers

    /// What a reader thread took from a socket.
    final class Drained: Sendable {
        private let state = Mutex<(messages: [String], finished: Bool)>(([], false))
        var messages: [String] { state.withLock { $0.messages } }
        var finished: Bool { state.withLock { $0.finished } }

        /// Reads datagrams from `descriptor` until `duration` has passed (blocking: call it
        /// on a thread of its own).
        func drain(_ descriptor: Int32, for duration: Duration) {
            let deadline = ContinuousClock.now + duration
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 20) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes {
                    recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
                }
                if count >= 0 {
                    let text = String(decoding: buffer[0..<count], as: UTF8.self)
                    state.withLock { $0.messages.append(text) }
                }
            }
            state.withLock { $0.finished = true }
        }
    }

    /// A datagram socket bound to a fresh path that is never read.
    static func boundSilentSocket() throws -> (Int32, String) {
        let path = "/tmp/mts-relay-silent-\(getpid())-\(UUID().uuidString.prefix(8))"
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0, "bind \(path): \(String(cString: strerror(errno)))")
        return (descriptor, path)
    }

    /// Runs a program to completion without blocking a thread of the cooperative pool. The
    /// pipes are read after it exits, which is fine for outputs below the 64 KiB a pipe holds
    /// (systemd-analyze prints a few KiB).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) async throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(filePath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, out, err)
    }
}
