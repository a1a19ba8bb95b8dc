import Foundation

/// A fresh directory under the system temp directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("mts-correlation-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Copies a database with its -wal and -shm files, as they are on disk at this instant, to
    /// `destination`: what a SIGKILL at this instant leaves behind (the kernel keeps every byte
    /// the process wrote; only what the process had not yet written is lost).
    static func snapshotDatabase(_ source: String, to destination: String) {
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: source + suffix) {
            try? FileManager.default.removeItem(atPath: destination + suffix)
            try! FileManager.default.copyItem(atPath: source + suffix, toPath: destination + suffix)
        }
    }

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }
}
