import Benchmark
import Foundation
import MTSProtocol

// Decode+validate of the pre-validated ticket placement reply (seeds 001/004), the message the
// issue's speed target names, against Foundation's two JSON paths on the same bytes. Each
// benchmark iteration handles 1000 messages (scalingFactor .kilo), so throughput reads as
// thousands of messages per second. Run:
//   swift package --package-path Benchmarks benchmark --target ProtocolBenchmarks

/// The seed example, byte for byte as in Tests/MTSProtocolTests/Fixtures/ticket-inform-reply.json.
let ticketInformReply = Array(
    """
    {
      "content": {
        "type": "ticket-inform-reply",
        "signature": "gOxOcWAjiPn8hEjyPlzDYu0B7aNA85fOeAB8m1j+Wm0=",
        "status": "accepted",
        "ticketId": "Ticket_10150",
        "code": 0,
        "message": "Transaction processed",
        "exchangeRate": [
          {
            "fromCurrency": "USD",
            "toCurrency": "EUR",
            "rate": "1.07326"
          }
        ]
      },
      "correlationId": "62ka01mxre",
      "timestampUtc": 1689752904000,
      "operation": "ticket-placement-inform",
      "version": "3.0"
    }

    """.utf8)

/// The same reply as Codable types, for the `JSONDecoder` comparison (types only, no rules).
struct CodableReply: Decodable {
    struct Content: Decodable {
        struct Rate: Decodable {
            var fromCurrency: String
            var toCurrency: String
            var rate: String
        }
        var type: String
        var signature: String
        var status: String
        var ticketId: String
        var code: Int64
        var message: String?
        var exchangeRate: [Rate]?
    }
    var content: Content
    var correlationId: String
    var timestampUtc: Int64
    var operation: String
    var version: String
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock],
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 1_000
    )

    Benchmark("MTSReply.decode (parse + validate) ticket-inform-reply") { benchmark in
        for _ in benchmark.scaledIterations {
            let decoded = MTSReply.decode(ticketInformReply)
            precondition(decoded.isValid)
            blackHole(decoded)
        }
    }

    Benchmark("JSONValue.parse (parse only) ticket-inform-reply") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONValue.parse(ticketInformReply))
        }
    }

    let data = Data(ticketInformReply)

    Benchmark("Foundation JSONSerialization (parse only) ticket-inform-reply") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try JSONSerialization.jsonObject(with: data))
        }
    }

    Benchmark("Foundation JSONDecoder (Codable, no rules) ticket-inform-reply") { benchmark in
        let decoder = JSONDecoder()
        for _ in benchmark.scaledIterations {
            blackHole(try decoder.decode(CodableReply.self, from: data))
        }
    }
}
