import Foundation
import Testing

/// The files the daemon creates hold ticket data: none is readable by group or others, even
/// when the daemon is started with a lax umask (the test's own, 022 or so).
@Suite("mts-relay run, the modes of the files it creates", .timeLimit(.minutes(2)))
struct FileModeTests {
    @Test func resultDeadLetterAndStoreFilesAreOwnerOnly() async throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let harness = try DaemonHarness(
            name: "modes",
            extraSinks: """
                  - type: http
                    name: hook
                    url: http://127.0.0.1:9/never
                    deadLetterPath: DIR/refused.jsonl
                    outcomes: [late]
                """)
        try harness.replaceInConfig("DIR", with: harness.directory.path)
        try await harness.startAndWait()
        let id = "\(harness.prefix)-1"
        try await harness.publish(MTSMessages.ticketRequest(id), to: harness.intakeQueue, correlationID: id)
        try await harness.publish(MTSMessages.ticketReply(id), to: harness.replyQueue, correlationID: id)
        _ = try await harness.waitForResults { $0.count >= 1 }

        let files = [
            "results.jsonl", "refused.jsonl", "pending.sqlite", "pending.sqlite-wal", "pending.sqlite-shm",
        ]
        for file in files {
            let path = harness.directory.appendingPathComponent(file).path
            var info = stat()
            #expect(stat(path, &info) == 0, "\(file) is missing")
            #expect(info.st_mode & 0o077 == 0, "\(file) has mode \(String(info.st_mode & 0o777, radix: 8))")
        }
        #expect(try await harness.stop().status == 0)
        await harness.tearDown()
    }
}
