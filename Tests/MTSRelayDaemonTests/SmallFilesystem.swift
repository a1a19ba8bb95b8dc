import Foundation
import Testing

/// A tmpfs of a chosen size mounted by the test (root only), to fill a disk on purpose and grow
/// it again. CI runs as root: there a refused mount fails the test (`CI=true`) instead of
/// skipping it without a word.
struct SmallFilesystem {
    let path: String

    /// Mounts a tmpfs of `size` (`mount`'s syntax: `512k`, `2m`) on a new directory; nil, after
    /// saying why, when mounting is not permitted here (and not CI).
    static func mount(
        size: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> SmallFilesystem? {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mts-relay-small-fs-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let (status, output) = run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            let reason = "cannot mount a tmpfs (run as root): \(output)"
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record(Comment(rawValue: reason), sourceLocation: sourceLocation)
            } else {
                print("SmallFilesystem: not run here: \(reason)")
            }
            return nil
        }
        return SmallFilesystem(path: path)
    }

    /// Changes the size of the mounted filesystem.
    func resize(to size: String) throws {
        let (status, output) = Self.run(["mount", "-o", "remount,size=\(size)", path])
        guard status == 0 else { throw HarnessError("cannot resize \(path) to \(size): \(output)") }
    }

    /// Unmounts (lazily, so a file still open cannot keep it) and removes the directory.
    func unmount() {
        _ = Self.run(["umount", "-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ arguments: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
