import Foundation
import MTSProtocol
import MTSSimulation

/// The jackpot Bet Engine for daemon tests: a real HTTP server (``TestHTTPServer``) answering
/// `POST /be/tickets`. It checks the signature (403 when wrong) and answers by the request's
/// `token`, which the tests set to the correlation id, prefixed with the fate:
///
/// | token prefix | answer |
/// |---|---|
/// | `ok-` | 200, a valid ticket `T-<token>` |
/// | `badticket-` | 200, a ticket breaking the rules (no `code`, status `flying`) |
/// | `e400-` / `e422-` | 400 / 422 with `{"code": 102, "message": ...}` |
/// | `busy-` / `unavailable-` | 429 / 503 (Retry-After: 0) the first time, then as `ok-` |
/// | `e500-` | 500 |
/// | `slow-` | 200 after `slowDelay` (past the relay's timeout) |
/// | `delay-` | 200 after `delay` |
///
/// It counts the POSTs per token, so a test can assert "never twice".
final class BetEngineStub: Sendable {
    let server: TestHTTPServer
    let secret: String
    private let counts: Locked<[String: Int]>
    private let firstArrivals: Locked<[String: ContinuousClock.Instant]>
    private let badSignatures: Locked<Int>
    /// How long a `delay-` POST waits for its answer.
    let delay: Duration

    var url: String { "http://127.0.0.1:\(server.port)/be/tickets" }

    init(
        secret: String, slowDelay: Duration = .seconds(6), delay: Duration = .milliseconds(1500)
    ) async throws {
        let counts = Locked<[String: Int]>([:])
        let firstArrivals = Locked<[String: ContinuousClock.Instant]>([:])
        let badSignatures = Locked(0)
        self.counts = counts
        self.firstArrivals = firstArrivals
        self.delay = delay
        self.badSignatures = badSignatures
        self.secret = secret
        server = try await TestHTTPServer { request in
            guard request.method == "POST", request.uri == "/be/tickets" else {
                return .init(status: 404, body: #"{"code":404,"message":"not found"}"#)
            }
            let token =
                (try? JSONValue.parse(request.body))?.objectValue?["token"]?.stringValue ?? "?"
            let attempt = counts.withLock { counts -> Int in
                counts[token, default: 0] += 1
                return counts[token]!
            }
            let now = ContinuousClock.now
            firstArrivals.withLock { if $0[token] == nil { $0[token] = now } }
            guard let timestampText = request.header("timestamp"), let timestamp = Int64(timestampText),
                let signature = request.header("signature"),
                JackpotSignature.verify(
                    signature: signature, secret: secret, timestamp: timestamp, body: request.body)
            else {
                badSignatures.withLock { $0 += 1 }
                return .init(status: 403, body: #"{"code":403,"message":"Forbidden: bad signature"}"#)
            }
            if token.hasPrefix("badticket-") {
                return .init(status: 200, body: #"{"id":"T-\#(token)","status":"flying"}"#)
            }
            if token.hasPrefix("e400-") {
                return .init(status: 400, body: #"{"code":102,"message":"Ticket odds changed"}"#)
            }
            if token.hasPrefix("e422-") {
                return .init(status: 422, body: #"{"code":7,"message":"events.0.odds: not a number"}"#)
            }
            if token.hasPrefix("e500-") { return .init(status: 500, body: "internal error") }
            if token.hasPrefix("busy-") && attempt == 1 {
                return .init(status: 429, headers: [("Retry-After", "0")], body: "")
            }
            if token.hasPrefix("unavailable-") && attempt == 1 {
                return .init(status: 503, headers: [("Retry-After", "0")], body: "")
            }
            var response = TestHTTPServer.Response(status: 200, body: Self.ticket(id: "T-\(token)"))
            if token.hasPrefix("slow-") { response.delay = slowDelay }
            if token.hasPrefix("delay-") { response.delay = delay }
            return response
        }
    }

    /// POSTs seen per token (the correlation id).
    var posts: [String: Int] { counts.value }
    /// When each token's first POST arrived.
    var firstPostArrivals: [String: ContinuousClock.Instant] { firstArrivals.value }
    /// POSTs refused for their signature.
    var refusedSignatures: Int { badSignatures.value }

    func stop() async { await server.stop() }

    /// A ticket as the seed shows one (mts-sim's).
    static func ticket(id: String) -> String { JackpotMessages.ticket(id: id) }

    /// A jackpot request whose token is `token`, fields deliberately out of the signing order.
    static func request(token: String) -> String {
        """
        {"type": "jackpot", "events": [{"odds": 2.50, "bet": 1, "id": 51234}, {"id": 51235, "bet": 2, "odds": 3.4}],
         "token": "\(token)", "operator": "demo-operator", "price": 3500, "currency": "KES",
         "source": "mobile", "odds_diff": 0.05, "betcard_code": "JP-2024-01", "prize": 100000000,
         "bonus_prizes": [500000, 100000]}
        """
    }
}
