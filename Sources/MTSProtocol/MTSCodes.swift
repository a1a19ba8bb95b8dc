/// The MTS response code tables: what `code` in a reply means.
///
/// Unknown codes are not an error: they are carried through and described as unknown.
public enum MTSCodes {
    /// `0`, common to every reply.
    public static let transactionProcessed: Int64 = 0

    /// The cancellation response codes, exactly as the cancellation seed lists them.
    public static let cancellation: [Int64: String] = [
        0: "Transaction processed",
        -2010: "Ticket not found",
        -2011: "Client (bookmaker) not found",
        -2012: "Cannot be cancelled because ticket contains live selection",
        -2013: "Ticket time for cancellation expired",
        -2015: "Cannot be cancelled because ticket contains pre-match selection",
        -2016: "Cannot be cancelled because particular cancellation option is not active",
        -2017: "Cannot be cancelled because ticket is already settled",
        -2018: "Cannot be cancelled because ticket is already cancelled",
        -2019:
            "Cancel factor is out of bounds (when the cancellation factor is outside the allowed range of 0-100%)",
        -2020:
            "Cancel factor is lower than existing (when the cancellation factor is lower than the previous one)",
        -2021: "Cannot be cancelled because bet id was not found",
        -2022: "Ticket already settled manually",
        -2023: "Cannot be cancelled because ticket contains inactive market",
        -2024: "Cannot be cancelled because code is not compatible with partial cancellation",
        -999: "Generic exception code",
    ]

    /// The ticket validation codes of the reference (§1, Codes).
    ///
    /// The reference names `-100 ... -107` with seven descriptions; `-100` is read as the generic
    /// model error and `-101 ... -107` as the seven in the order given.
    public static let validation: [Int64: String] = [
        0: "Transaction processed",
        -100: "Ticket validation: model error",
        -101: "Ticket validation: missing field",
        -102: "Ticket validation: wrong type",
        -103: "Ticket validation: number format",
        -104: "Ticket validation: date format",
        -105: "Ticket validation: selection id",
        -106: "Ticket validation: channel",
        -107: "Ticket validation: value out of range",
        -713: "Customer liability limit exceeded (an alternative stake is suggested)",
    ]

    /// What `code` means in a reply of `contentType`.
    ///
    /// `cancel-reply` codes come from the cancellation table, `ticket-reply` and
    /// `ticket-inform-reply` codes from the validation table and its documented ranges; other
    /// content types look in both.
    public static func describe(_ code: Int64, contentType: String) -> CodeDescription {
        let text: String?
        switch contentType {
        case "cancel-reply":
            text = cancellation[code]
        case "ticket-reply", "ticket-inform-reply":
            text = validation[code] ?? validationRange(code)
        default:
            text = cancellation[code] ?? validation[code] ?? validationRange(code)
        }
        if let text { return CodeDescription(code: code, text: text, isKnown: true) }
        return CodeDescription(code: code, text: "unknown code", isKnown: false)
    }

    /// The code ranges the reference names without listing each code.
    private static func validationRange(_ code: Int64) -> String? {
        switch code {
        case -429 ... -420: "Odds problem (-42x)"
        case -499 ... -400: "Match, market or outcome not found or inactive (-4xx)"
        case -799 ... -700: "Liability limit (-7xx)"
        default: nil
        }
    }
}
