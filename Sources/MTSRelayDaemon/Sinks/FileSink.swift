import Dispatch
import Glibc
import Synchronization

/// Appends records as JSON lines to a file; a record counts as accepted once its line is
/// written and fsynced.
///
/// The file only ever holds whole lines. A failed or short write (a full disk) or a failed
/// fsync leaves the file cut back to where the batch began before the failure is reported, so
/// the retried batch does not follow half a record; at open, a line cut off by a crash is cut
/// away (its record was never acknowledged, and comes again).
///
/// Writes run on a serial dispatch queue of the sink's own, never on Swift's cooperative
/// pool (write and fsync block). Batches that arrive while a flush is under way are merged
/// into the next one, so one fsync covers many records (group commit). `reopen()` closes and
/// reopens the path, which is what logrotate expects on SIGHUP.
public final class FileSink: ResultSink {
    public let name: String
    public let path: String
    private let queue: DispatchQueue
    private let state: Mutex<State>

    private struct Pending {
        var bytes: [UInt8]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var flushScheduled = false
        var descriptor: Int32 = -1
        var reopenRequested = false
        /// Where the file must be cut back to before the next write: set when cutting back
        /// after a failure failed too.
        var truncateTo: off_t?
    }

    /// Opens (creating) the file for appending.
    /// - Throws: `SinkError` naming the path when it cannot be opened.
    public init(name: String, path: String) throws {
        self.name = name
        self.path = path
        self.queue = DispatchQueue(label: "mts-relay.sink.\(name)")
        let descriptor = try Self.open(path, sink: name)
        self.state = Mutex(State(descriptor: descriptor))
    }

    deinit {
        let descriptor = state.withLock { $0.descriptor }
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    public func write(_ records: [SinkRecord]) async throws {
        guard !records.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records.reduce(0) { $0 + $1.json.count + 1 })
        for record in records {
            bytes += record.json
            bytes.append(0x0A)
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let schedule = state.withLock { state in
                state.pending.append(Pending(bytes: bytes, continuation: continuation))
                guard !state.flushScheduled else { return false }
                state.flushScheduled = true
                return true
            }
            if schedule { queue.async { self.flush() } }
        }
    }

    /// Closes and reopens the file at `path` before the next write (logrotate's SIGHUP).
    public func reopen() {
        state.withLock { $0.reopenRequested = true }
        queue.async { self.reopenIfRequested() }
    }

    /// On `queue`: writes everything pending, fsyncs once, then resumes the writers.
    private func flush() {
        reopenIfRequested()
        let (batch, descriptor) = state.withLock { state in
            defer {
                state.pending.removeAll(keepingCapacity: true)
                state.flushScheduled = false
            }
            return (state.pending, state.descriptor)
        }
        var failure = repairIfNeeded(descriptor)
        // With O_APPEND every write goes to the end: the end now is where this batch begins.
        let start = lseek(descriptor, 0, SEEK_END)
        if failure == nil, start < 0 {
            failure = SinkError(
                sink: name, reason: "lseek \(path) failed: \(String(cString: strerror(errno)))")
        }
        for item in batch where failure == nil {
            failure = Self.writeAll(item.bytes, to: descriptor, sink: name, path: path)
        }
        if failure == nil, fsync(descriptor) != 0 {
            failure = SinkError(
                sink: name, reason: "fsync \(path) failed: \(String(cString: strerror(errno)))")
        }
        if failure != nil, start >= 0 {
            // Nothing of a failed batch stays: it is retried whole.
            if Self.truncate(descriptor, to: start) != 0 {
                state.withLock { $0.truncateTo = start }
            }
        }
        for item in batch {
            if let failure { item.continuation.resume(throwing: failure) } else { item.continuation.resume() }
        }
    }

    /// Cuts the file back to where a failed batch began, when that did not work at the time;
    /// returns the failure when it still does not.
    private func repairIfNeeded(_ descriptor: Int32) -> SinkError? {
        guard let offset = state.withLock({ $0.truncateTo }) else { return nil }
        guard Self.truncate(descriptor, to: offset) == 0 else {
            return SinkError(
                sink: name,
                reason:
                    "cannot cut \(path) back to its last whole record at byte \(offset): \(String(cString: strerror(errno)))"
            )
        }
        state.withLock { $0.truncateTo = nil }
        return nil
    }

    /// `ftruncate` then `fsync`, so that the cut survives a crash; 0 on success.
    private static func truncate(_ descriptor: Int32, to offset: off_t) -> Int32 {
        var result: Int32
        repeat { result = ftruncate(descriptor, offset) } while result != 0 && errno == EINTR
        guard result == 0 else { return result }
        return fsync(descriptor)
    }

    private func reopenIfRequested() {
        let requested = state.withLock { state in
            defer { state.reopenRequested = false }
            return state.reopenRequested
        }
        guard requested else { return }
        // Opened before the old one is closed, so a failure keeps the sink writing where it was.
        guard let fresh = try? Self.open(path, sink: name) else { return }
        let old = state.withLock { state in
            defer { state.descriptor = fresh }
            return state.descriptor
        }
        if old >= 0 { Glibc.close(old) }
    }

    private static func open(_ path: String, sink: String) throws -> Int32 {
        // Owner only: the records hold ticket data.
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SinkError(
                sink: sink, reason: "cannot open \(path) for appending: \(String(cString: strerror(errno)))",
                isRetryable: false)
        }
        let end = lseek(descriptor, 0, SEEK_END)
        if end > 0, let wholeEnd = lastLineEnd(path, before: end), wholeEnd < end {
            guard truncate(descriptor, to: wholeEnd) == 0 else {
                let reason = String(cString: strerror(errno))
                Glibc.close(descriptor)
                throw SinkError(
                    sink: sink,
                    reason: "cannot cut the partial last line of \(path) (byte \(wholeEnd) on): \(reason)",
                    isRetryable: false)
            }
        }
        return descriptor
    }

    /// The offset just past the last newline of the file at `path` before `end` (0 when there
    /// is none), reading backwards; nil when it cannot be read (then it is left alone).
    private static func lastLineEnd(_ path: String, before end: off_t) -> off_t? {
        let reader = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { return nil }
        defer { Glibc.close(reader) }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var position = end
        while position > 0 {
            let length = min(off_t(chunk.count), position)
            position -= length
            let read = chunk.withUnsafeMutableBytes { pread(reader, $0.baseAddress!, Int(length), position) }
            guard read == Int(length) else { return nil }
            if let last = chunk[..<Int(length)].lastIndex(of: 0x0A) { return position + off_t(last) + 1 }
        }
        return 0
    }

    private static func writeAll(
        _ bytes: [UInt8], to descriptor: Int32, sink: String, path: String
    ) -> SinkError? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return SinkError(
                    sink: sink, reason: "write to \(path) failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        return nil
    }
}
