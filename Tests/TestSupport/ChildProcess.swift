import Foundation

/// Runs a program to its end without blocking a thread of Swift's cooperative pool: its output
/// goes to a temporary file and its exit is awaited through `terminationHandler`.
///
/// The tests share one process and, on these 2-core machines, a pool of two threads: a
/// `waitUntilExit()` or `readDataToEndOfFile()` on one of them (rabbitmqctl takes a second or
/// two to start its Erlang VM) stalls every other test's tasks meanwhile, which is how a
/// 200 ms HTTP timeout was once seen to take 5.4 s.
public enum ChildProcess {
    /// What a finished program printed and its exit status (128 + the signal when a signal
    /// ended it).
    public struct Finished: Sendable {
        public var status: Int32
        /// Its standard output.
        public var output: String
        /// Its standard error.
        public var errors: String
    }

    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        in directory: URL? = nil
    ) async throws -> Finished {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "child-\(UUID().uuidString.prefix(8))")
        let outputURL = base.appendingPathExtension("out")
        let errorsURL = base.appendingPathExtension("err")
        for url in [outputURL, errorsURL] {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        defer { for url in [outputURL, errorsURL] { try? FileManager.default.removeItem(at: url) } }
        let output = try FileHandle(forWritingTo: outputURL)
        let errors = try FileHandle(forWritingTo: errorsURL)
        defer {
            try? output.close()
            try? errors.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            // A program killed by a signal reads as a shell shows it: 128 + the signal.
            process.terminationHandler = { process in
                let status = process.terminationStatus
                continuation.resume(
                    returning: process.terminationReason == .uncaughtSignal ? 128 + status : status)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Finished(
            status: status, output: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOf: errorsURL, encoding: .utf8)) ?? "")
    }
}

/// The test broker's `rabbitmqctl` (or `MTS_RELAY_RABBITMQCTL`), the tests' fault injector.
public enum RabbitMQControl {
    public struct Failure: Error, CustomStringConvertible {
        public var arguments: [String]
        public var output: String
        public var description: String { "rabbitmqctl \(arguments.joined(separator: " ")) failed: \(output)" }
    }

    /// Runs it with `arguments`; returns what it printed, or throws when it failed.
    @discardableResult
    public static func run(_ arguments: [String]) async throws -> String {
        let command = ProcessInfo.processInfo.environment["MTS_RELAY_RABBITMQCTL"] ?? "rabbitmqctl"
        let finished = try await ChildProcess.run("/usr/bin/env", [command] + arguments)
        guard finished.status == 0 else {
            throw Failure(arguments: arguments, output: finished.output + finished.errors)
        }
        return finished.output
    }
}
