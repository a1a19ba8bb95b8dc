import MTSCorrelation
import MTSProtocol

/// Reads the Bet Engine's answers for result records: a 200 is `accepted` with the ticket's
/// `id` (its violations, if its body breaks the seed's rules, in `error`); 400, 403 and 422 are
/// `rejected` with the body's `code` and `message` where present. A valid ticket is parsed
/// once; other bodies once more, as JSON, for what can be read.
enum JackpotAnswerReader {
    static func summarize(_ answer: RecordedAnswer) -> UpstreamAnswerSummary {
        if answer.status == 200 {
            let ticket = JackpotTicket.decode(answer.body)
            if let ticket = ticket.value {
                return UpstreamAnswerSummary(status: "accepted", ticketId: ticket.id, bodyIsJSON: true)
            }
            // Still the answer (a ticket may well exist): keep what can be read, say what is wrong.
            let json = try? JSONValue.parse(answer.body)
            return UpstreamAnswerSummary(
                status: "accepted", ticketId: json?.objectValue?["id"]?.stringValue, bodyIsJSON: json != nil,
                error: "the ticket breaks the API's rules: "
                    + ticket.violations.map(\.description).joined(separator: "; "))
        }
        let json = try? JSONValue.parse(answer.body)
        let object = json?.objectValue
        return UpstreamAnswerSummary(
            status: "rejected", code: object?["code"]?.int64Value,
            codeDescription: object?["message"]?.stringValue, bodyIsJSON: json != nil)
    }
}
