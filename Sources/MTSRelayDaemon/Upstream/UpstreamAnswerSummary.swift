/// What a result record shows of an active upstream's answer.
struct UpstreamAnswerSummary: Sendable, Equatable {
    /// `accepted` or `rejected`.
    var status: String?
    /// The upstream's error code, where its body has one.
    var code: Int64?
    /// The upstream's error message, where its body has one.
    var codeDescription: String?
    /// The id of what was created (the jackpot ticket's `id`).
    var ticketId: String?
    /// Whether the answer's body is JSON (the record embeds it as it is; else as a string).
    var bodyIsJSON = false
    /// Rules the answer breaks (a 200 whose body is not a valid ticket); logged as a warning.
    var error: String?
}
