import Foundation
import Testing

/// The seed examples and request examples under `Fixtures/`, and broken variants of them.
enum Fixture: String, CaseIterable, Sendable {
    case casinoSessionsInformReply = "casino-sessions-inform-reply"
    case ticketInformReply = "ticket-inform-reply"
    case cancelReply = "cancel-reply"
    case ticketReplyBetDetails = "ticket-reply-bet-details"
    case errorReply = "error-reply"
    case ticketRequest = "ticket-request"
    case cancelRequest = "cancel-request"
    case jackpotRequest = "jackpot-request"
    case jackpotTicket = "jackpot-ticket"

    /// The MTS replies among the fixtures.
    static let replies: [Fixture] = [
        .casinoSessionsInformReply, .ticketInformReply, .cancelReply, .ticketReplyBetDetails, .errorReply,
    ]

    /// The fixture's text.
    var text: String {
        get throws {
            let url = try #require(
                Bundle.module.url(forResource: rawValue, withExtension: "json", subdirectory: "Fixtures"),
                "fixture \(rawValue).json is missing")
            return try String(contentsOf: url, encoding: .utf8)
        }
    }

    /// The fixture's bytes.
    var bytes: [UInt8] {
        get throws { Array(try text.utf8) }
    }

    /// The fixture with every `old` replaced by `new`; fails the test when `old` does not occur,
    /// so a broken variant can never silently equal the original.
    func replacing(_ old: String, with new: String) throws -> [UInt8] {
        let text = try text
        try #require(text.contains(old), "\(rawValue).json does not contain \(old)")
        return Array(text.replacingOccurrences(of: old, with: new).utf8)
    }
}
