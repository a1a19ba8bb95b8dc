extension SystemdNotifier {
    /// The `STATUS=` text for `systemctl status`, e.g.
    /// `pending=123 matched/s=45.6 lag: replies=0.1s intake=0.1s sinks: results=ok, webhook=failing`,
    /// or with a role (a member of a group) `role=active epoch=3 pending=123 ...`, and with an
    /// active upstream `... jackpot: sent=12 unknown=0 sinks: ...` (counts since start).
    ///
    /// A pure function. `matchedPerSecond` is shown with one decimal (negative, NaN and
    /// infinite rates, which only a broken rate computation produces, show as 0.0). Each
    /// watermark lag (ms, nil while unknown) is shown in seconds with one decimal, or `unknown`;
    /// the `lag:` part is left out when none is given. Sinks are listed in the order given,
    /// `sinks: none` when there are none.
    public static func statusLine(
        role: (name: String, epoch: Int64?)? = nil, pending: Int, matchedPerSecond: Double,
        watermarkLags: [(name: String, lagMs: Int64?)] = [],
        upstreams: [(name: String, sent: Int, outcomeUnknown: Int)] = [],
        sinks: [(name: String, healthy: Bool)], sinkBacklogs: [String: Int64] = [:],
        commitsPerSecond: Double? = nil
    ) -> String {
        let sinkList =
            sinks.isEmpty
            ? "none"
            : sinks.map { sink in
                let backlog = sinkBacklogs[sink.name].flatMap { $0 > 0 ? " (\($0) behind)" : nil } ?? ""
                return "\(sink.name)=\(sink.healthy ? "ok" : "failing")\(backlog)"
            }.joined(separator: ", ")
        let lags =
            watermarkLags.isEmpty
            ? ""
            : " lag: "
                + watermarkLags.map { lag in
                    "\(lag.name)=\(lag.lagMs.map { oneDecimal(Double($0) / 1000) + "s" } ?? "unknown")"
                }.joined(separator: " ")
        let upstreamPart = upstreams.map { " \($0.name): sent=\($0.sent) unknown=\($0.outcomeUnknown)" }
            .joined()
        let rolePart = role.map { "role=\($0.name) " + ($0.epoch.map { "epoch=\($0) " } ?? "") } ?? ""
        let commits = commitsPerSecond.map { " commits/s=\(oneDecimal($0))" } ?? ""
        return
            "\(rolePart)pending=\(pending) matched/s=\(oneDecimal(matchedPerSecond))\(commits)\(lags)\(upstreamPart) sinks: \(sinkList)"
    }

    /// `value` rounded to one decimal, without Foundation's formatters.
    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0.0" }
        let tenths = (value * 10).rounded()
        guard tenths < Double(Int64.max) else { return "\(Int64.max / 10).\(Int64.max % 10)" }
        let whole = Int64(tenths)
        return "\(whole / 10).\(whole % 10)"
    }
}
