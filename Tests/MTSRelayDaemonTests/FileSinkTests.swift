import Foundation
import Testing

@testable import MTSRelayDaemon

@Suite("File sink")
struct FileSinkTests {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mts-relay-filesink-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func record(_ index: Int) -> SinkRecord {
        SinkRecord(outcome: .matched, operation: "ticket-placement", json: Array(#"{"n":\#(index)}"#.utf8))
    }

    @Test func concurrentBatchesAllLandAsWholeLines() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("results.jsonl").path
        let sink = try FileSink(name: "file", path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in 0..<200 {
                group.addTask { try await sink.write((0..<10).map { self.record(batch * 10 + $0) }) }
            }
            try await group.waitForAll()
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2000)
        #expect(Set(lines) == Set((0..<2000).map { #"{"n":\#($0)}"#[...] }))
    }

    @Test func aLineCutOffByACrashIsCutAwayAtOpen() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("results.jsonl").path
        try Data(#"{"n":1}\#n{"n":2}\#n{"n":3,"cut"#.utf8).write(to: URL(fileURLWithPath: path))
        let sink = try FileSink(name: "file", path: path)
        try await sink.write([record(4)])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == #"{"n":1}\#n{"n":2}\#n{"n":4}\#n"#)
    }

    @Test func reopenFollowsLogrotate() async throws {
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("results.jsonl").path
        let rotated = directory.appendingPathComponent("results.jsonl.1").path
        let sink = try FileSink(name: "file", path: path)
        try await sink.write([record(1)])
        try FileManager.default.moveItem(atPath: path, toPath: rotated)
        sink.reopen()
        try await sink.write([record(2)])
        #expect(try String(contentsOfFile: rotated, encoding: .utf8) == "{\"n\":1}\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"n\":2}\n")
    }

    @Test func anUnwritablePathIsAClearError() {
        #expect {
            _ = try FileSink(name: "audit", path: "/nonexistent-dir/results.jsonl")
        } throws: { error in
            "\(error)".contains("/nonexistent-dir/results.jsonl") && "\(error)".contains("audit")
        }
    }
}
