import Foundation
import Glibc

extension RelayConfiguration {
    /// Every file the daemon creates or appends to, with the key that names it: the SQLite
    /// store (and the jackpot one beside it) unless the store is PostgreSQL, each file sink,
    /// each http sink's dead-letter file.
    public var writtenFiles: [(keyPath: String, path: String)] {
        var files: [(keyPath: String, path: String)] = []
        if store.url == nil { files.append(("store.path", store.path)) }
        for (index, sink) in sinks.enumerated() {
            switch sink.kind {
            case .file(let path): files.append(("sinks[\(index)].path", path))
            case .http(let http): files.append(("sinks[\(index)].deadLetterPath", http.deadLetterPath))
            case .stdout, .amqp: continue
            }
        }
        return files
    }

    /// One problem per file of ``writtenFiles`` whose directory is missing, not a directory,
    /// or not writable by this process. Checked by `check-config` and before `run` starts, so
    /// that a missing directory is a configuration error rather than a failure after the
    /// brokers are connected. Relative paths are taken from the working directory, as the
    /// daemon takes them.
    public func unwritableDirectories() -> [ConfigurationError] {
        writtenFiles.compactMap { keyPath, path in
            let directory = (path as NSString).deletingLastPathComponent
            let shown = directory.isEmpty ? "." : directory
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: shown, isDirectory: &isDirectory) else {
                return ConfigurationError(
                    keyPath: keyPath,
                    reason: "the directory \(shown) of \(path) does not exist (the relay never creates it)")
            }
            guard isDirectory.boolValue else {
                return ConfigurationError(keyPath: keyPath, reason: "\(shown) is not a directory")
            }
            // access() asks as the real user, with the read-only mounts systemd's sandbox adds.
            guard access(shown, W_OK | X_OK) == 0 else {
                let reason = String(cString: strerror(errno))
                return ConfigurationError(
                    keyPath: keyPath, reason: "cannot write in the directory \(shown) of \(path): \(reason)")
            }
            return nil
        }
    }
}
