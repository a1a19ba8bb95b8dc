import Foundation
import MTSCorrelation
import Testing

@testable import MTSRelayDaemon

/// A log entry as a sink receives it: `seq` and `replayed` written in front of the stored
/// record, and the key receivers drop repeats by.
@Suite struct LogRecordTests {
    static func entry(seq: Int64, json: String) -> ResultLogEntry {
        ResultLogEntry(
            seq: seq, appendedAt: 0, outcome: "matched", operation: "ticket-placement", correlationId: "c-1",
            json: Array(json.utf8))
    }

    @Test func seqAndReplayedComeFirstAndTheRecordIsStillOneJSONObject() throws {
        let record = ResultRecord(
            outcome: .matched, correlationId: "c-1", operation: "ticket-placement", emittedAt: 0)
        let stored = Self.entry(seq: 42, json: String(decoding: record.jsonBytes(), as: UTF8.self))
        for replayed in [false, true] {
            let delivered = SinkRecord(entry: stored, log: "prod", replayed: replayed)
            let text = String(decoding: delivered.json, as: UTF8.self)
            #expect(text.hasPrefix(#"{"seq":42,"replayed":\#(replayed),"outcome":"matched""#), "\(text)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(delivered.json)) as? [String: Any])
            #expect(object["correlationId"] as? String == "c-1")
            #expect(delivered.key == "prod:42")
            #expect(delivered.outcome == .matched && delivered.operation == "ticket-placement")
        }
        let empty = SinkRecord(entry: Self.entry(seq: 1, json: "{}"), log: "g", replayed: false)
        #expect(String(decoding: empty.json, as: UTF8.self) == #"{"seq":1,"replayed":false}"#)
    }

    @Test func theHTTPKeyNamesOneRecordOrABatchsFirstAndLast() {
        let records = (7...9).map {
            SinkRecord(entry: Self.entry(seq: Int64($0), json: "{}"), log: "prod.jackpot", replayed: false)
        }
        #expect(HTTPSink.idempotencyKey(of: Array(records.prefix(1))) == "prod.jackpot:7")
        #expect(HTTPSink.idempotencyKey(of: records) == "prod.jackpot:7-9")
        #expect(HTTPSink.idempotencyKey(of: []) == nil)
        let outsideALog = SinkRecord(outcome: .matched, operation: nil, json: Array("{}".utf8))
        #expect(HTTPSink.idempotencyKey(of: [outsideALog]) == nil)
    }
}
