import Dispatch
import Glibc

/// Writes records as JSON lines to standard output; accepted once written.
///
/// Writes go through a serial dispatch queue of the sink's own: a slow reader of stdout
/// blocks that queue, never Swift's cooperative pool.
public final class StdoutSink: ResultSink {
    public let name: String
    private let queue: DispatchQueue

    public init(name: String) {
        self.name = name
        self.queue = DispatchQueue(label: "mts-relay.sink.\(name)")
    }

    public func write(_ records: [SinkRecord]) async throws {
        guard !records.isEmpty else { return }
        let bytes = records.reduce(into: [UInt8]()) { bytes, record in
            bytes += record.json
            bytes.append(0x0A)
        }
        let name = name
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                var offset = 0
                while offset < bytes.count {
                    let written = bytes.withUnsafeBytes {
                        Glibc.write(1, $0.baseAddress! + offset, $0.count - offset)
                    }
                    if written < 0 {
                        if errno == EINTR { continue }
                        continuation.resume(
                            throwing: SinkError(
                                sink: name,
                                reason: "write to stdout failed: \(String(cString: strerror(errno)))"))
                        return
                    }
                    offset += written
                }
                continuation.resume()
            }
        }
    }
}
