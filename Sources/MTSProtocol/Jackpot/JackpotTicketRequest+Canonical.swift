extension JackpotTicketRequest {
    /// The members of a request body in the order the Bet Engine signs them (reference §3):
    /// `operator, token, psp, price, currency, atag, rtag, source, type, odds_diff, events,
    /// betcard_code, prize, bonus_prizes`.
    public static let canonicalFieldOrder = [
        "operator", "token", "psp", "price", "currency", "atag", "rtag", "source", "type", "odds_diff",
        "events", "betcard_code", "prize", "bonus_prizes",
    ]

    /// Members written as `null` when the message leaves them out ("optional fields are
    /// included even when null").
    public static let nullWhenAbsent: Set<String> = ["psp", "atag", "rtag"]

    /// The body to POST and sign: compact JSON with the members in ``canonicalFieldOrder``
    /// (each event as `id, bet, odds`), `psp`, `atag` and `rtag` as `null` when absent, `prize`
    /// and `bonus_prizes` left out when absent, numbers exactly as received (`2.50` stays
    /// `2.50`). Members outside the documented list are not sent.
    public var canonicalBody: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + events.count * 48)
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for key in Self.canonicalFieldOrder {
            let value: JSONValue
            if let present = document[key] {
                value = key == "events" ? Self.canonicalEvents(present) : present
            } else if Self.nullWhenAbsent.contains(key) {
                value = .null
            } else {
                continue
            }
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.appendString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            value.appendCompact(to: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// Each event object reduced to `id, bet, odds`, in that order.
    private static func canonicalEvents(_ value: JSONValue) -> JSONValue {
        guard case .array(let events) = value else { return value }
        return .array(
            events.map { event in
                guard let object = event.objectValue else { return event }
                return .object(
                    JSONObject(
                        members: ["id", "bet", "odds"].compactMap { key in
                            object[key].map { JSONObject.Member(key: key, value: $0) }
                        }))
            })
    }
}
