import Foundation
import TestSupport
import Testing

/// A full disk under a file sink, through the real daemon: pairs flow while the sink's
/// filesystem fills, the relay keeps the rest in the broker, and once the filesystem grows
/// every record arrives, each on a whole line.
@Suite("A full disk under a file sink", .serialized, .timeLimit(.minutes(3)))
struct FileSinkFullDiskTests {
    @Test func everyRecordArrivesWholeAfterTheDiskGrows() async throws {
        guard let disk = try SmallFilesystem.mount(size: "256k") else { return }
        defer { disk.unmount() }
        let smallPath = "\(disk.path)/results.jsonl"
        let harness = try DaemonHarness(
            name: "full-disk",
            extraSinks: """
                  - type: file
                    name: small
                    path: \(smallPath)
                """)
        try await harness.startAndWait()
        // About 1 KiB a record: 600 pairs are more than twice what the filesystem holds.
        let count = 600
        let ids = (0..<count).map { "\(harness.prefix)-\($0)" }
        try await harness.publishAll(
            ids.map { (MTSMessages.ticketRequest($0), harness.intakeQueue, $0) })
        try await harness.publishAll(ids.map { (MTSMessages.ticketReply($0), harness.replyQueue, $0) })

        // The disk fills: the sink fails and retries, the rest waits in the broker.
        guard
            await eventually(
                timeout: .seconds(60), every: .milliseconds(50), { harness.log.contains("No space left") })
        else {
            Issue.record("the sink never ran out of space:\n\(harness.log.suffix(2000))")
            await harness.tearDown()
            return
        }
        try disk.resize(to: "8m")

        let complete = try await Self.waitForLines(smallPath, count: count, timeout: .seconds(90))
        let broken = complete.filter { !$0.isWhole }.map { $0.text.prefix(200) }
        #expect(broken.isEmpty, "\(broken.count) lines are not a whole record, e.g. \(broken.prefix(2))")
        let matched = Set(complete.compactMap { $0.object?["correlationId"] as? String })
        let missing = Set(ids).subtracting(matched)
        #expect(missing.isEmpty, "\(missing.count) records missing, e.g. \(missing.prefix(3))")
        #expect(complete.count == count, "records written twice: \(complete.count) lines")
        let stopped = try await harness.stop()
        #expect(stopped.status == 0)
        await harness.tearDown()
    }

    struct Line {
        var text: Substring
        var object: [String: Any]?
        var isWhole: Bool { object != nil }
    }

    /// Every line of the file; the text after the last newline counts as a line too (it must
    /// not exist).
    static func lines(_ path: String) throws -> [Line] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var pieces = text.split(separator: "\n", omittingEmptySubsequences: false)
        if pieces.last == "" { pieces.removeLast() }
        return pieces.map { piece in
            Line(
                text: piece,
                object: (try? JSONSerialization.jsonObject(with: Data(piece.utf8))) as? [String: Any])
        }
    }

    static func waitForLines(_ path: String, count: Int, timeout: Duration) async throws -> [Line] {
        var found: [Line] = []
        _ = await eventually(timeout: timeout, every: .milliseconds(100)) {
            found = (try? lines(path)) ?? []
            return found.count >= count
        }
        return found
    }
}
