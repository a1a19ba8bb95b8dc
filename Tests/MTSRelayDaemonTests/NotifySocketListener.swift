import Foundation
import Glibc
import Synchronization
import TestSupport

/// Plays systemd's side of sd_notify(3) in tests: an `AF_UNIX` datagram socket that collects
/// what a process sends to `NOTIFY_SOCKET`.
///
/// ```swift
/// let listener = try NotifySocketListener()
/// environment["NOTIFY_SOCKET"] = listener.path      // or .merge(listener.environment)
/// #expect(await listener.waitFor("READY=1", timeout: .seconds(30)))
/// let status = await listener.waitFor(timeout: .seconds(15)) { $0.hasPrefix("STATUS=") }
/// ```
///
/// A thread of its own receives the datagrams (`poll` with a 50 ms timeout, then a
/// non-blocking `recv`), so waiting never blocks the cooperative pool: `waitFor` sleeps with
/// `Task.sleep` between looks. The socket is bound to a fresh path in a new temporary
/// directory, or with `abstract: true` to an abstract name (`@...`, nothing on disk). `close()`
/// or deinit stops the thread and removes the socket and its directory.
final class NotifySocketListener: Sendable {
    /// What to set `NOTIFY_SOCKET` to: an absolute path, or `@name` for an abstract socket.
    let path: String

    /// `["NOTIFY_SOCKET": path]`, to merge into a child process's environment.
    var environment: [String: String] { ["NOTIFY_SOCKET": path] }

    /// Every datagram received so far, in order, as text.
    var messages: [String] { receiver.messages.withLock { $0 } }

    /// Every assignment received so far (the datagrams split at newlines), e.g. `READY=1`.
    var assignments: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }

    private let receiver: Receiver

    /// Creates and binds the socket and starts receiving.
    /// - Parameter abstract: bind to an abstract name instead of a path in the file system.
    init(abstract: Bool = false) throws {
        let descriptor = socket(
            AF_UNIX,
            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw ListenerError("socket", errno) }
        var directory: String?
        let value: String
        if abstract {
            value = "@mts-relay-test-notify-\(getpid())-\(UUID().uuidString)"
        } else {
            // sun_path holds 108 bytes: a long $TMPDIR would not fit, /tmp does.
            var template = Array("/tmp/mts-relay-notify-XXXXXX".utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                Glibc.close(descriptor)
                throw ListenerError("mkdtemp", errno)
            }
            directory = String(cString: made)
            value = directory! + "/notify"
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(value.utf8)
        if abstract { bytes[0] = 0 } else { bytes.append(0) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            let error = errno
            Glibc.close(descriptor)
            if let directory { rmdir(directory) }
            throw ListenerError("bind \(value)", error)
        }
        path = value
        receiver = Receiver(descriptor: descriptor, socketPath: abstract ? nil : value, directory: directory)
        let receiver = receiver
        let thread = Thread { receiver.run() }
        thread.name = "notify-socket-listener"
        thread.start()
    }

    deinit {
        receiver.stop()
    }

    /// Stops receiving and removes the socket (at once; the receiving thread ends within
    /// 50 ms); `messages` keeps what arrived.
    func close() {
        receiver.stop()
    }

    /// Waits until an assignment (one line of a datagram) equals `assignment`.
    /// - Returns: whether it arrived within `timeout`.
    func waitFor(_ assignment: String, timeout: Duration) async -> Bool {
        await waitFor(timeout: timeout) { $0 == assignment } != nil
    }

    /// Waits until an assignment satisfies `predicate`, and returns the first that does
    /// (looking at everything received, also before the call); nil after `timeout`.
    func waitFor(timeout: Duration, where predicate: (String) -> Bool) async -> String? {
        var found: String?
        _ = await eventually(timeout: timeout, every: .milliseconds(10)) {
            found = assignments.first(where: predicate)
            return found != nil
        }
        return found
    }

    /// Waits until `count` datagrams have arrived; returns them (fewer after `timeout`).
    func waitForMessages(count: Int, timeout: Duration) async -> [String] {
        _ = await eventually(timeout: timeout, every: .milliseconds(10)) { messages.count >= count }
        return messages
    }

    struct ListenerError: Error, CustomStringConvertible {
        let description: String
        init(_ what: String, _ error: Int32) {
            description = "\(what): \(String(cString: strerror(error)))"
        }
    }

    /// The state the receiving thread shares with the listener: the messages under a mutex
    /// and a stop flag; the descriptor is used and closed by the thread alone.
    private final class Receiver: Sendable {
        let messages = Mutex<[String]>([])
        private let stopped = Atomic(false)
        private let descriptor: Int32
        private let socketPath: String?
        private let directory: String?

        init(descriptor: Int32, socketPath: String?, directory: String?) {
            self.descriptor = descriptor
            self.socketPath = socketPath
            self.directory = directory
        }

        /// Removes the socket and its directory at once (not left to the thread, which a test
        /// process may outlive by less than its 50 ms poll); the thread closes the descriptor.
        func stop() {
            guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
            if let socketPath { unlink(socketPath) }
            if let directory { rmdir(directory) }
        }

        /// On the listener's thread: receive until stopped, then clean up.
        func run() {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !stopped.load(ordering: .acquiring) {
                var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 50) > 0 else { continue }
                while true {
                    let received = buffer.withUnsafeMutableBytes {
                        recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
                    }
                    guard received >= 0 else { break }  // EAGAIN: drained
                    let text = String(decoding: buffer[0..<received], as: UTF8.self)
                    messages.withLock { $0.append(text) }
                }
            }
            Glibc.close(descriptor)
        }
    }
}
