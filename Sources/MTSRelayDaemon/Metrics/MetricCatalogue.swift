/// Every metric family the daemon exports, with its Prometheus help text: the one place each
/// is declared. ``DocumentedPrometheusFactory`` gives Prometheus these texts (its own factory
/// gives none, and its registry refuses one name with two texts), so every family has its
/// `# HELP` line.
enum MetricCatalogue {
    /// Help text by family name.
    static let help: [String: String] = [
        "mts_relay_consumed_total": "Messages consumed, by queue.",
        "mts_relay_results_total": "Results decided, by outcome.",
        "mts_relay_unrouted_total": "Records that no sink's filter selected.",
        "mts_relay_sink_accepted_total": "Records a sink accepted, by sink.",
        "mts_relay_sink_retried_total": "Failed delivery attempts that are retried, by sink.",
        "mts_relay_sink_failed_total": "Records a sink failed to take on an attempt, by sink.",
        "mts_relay_sink_dropped_total":
            "Records a sink that is not required skipped, fallen past its maxBacklog, by sink.",
        "mts_relay_sink_backlog": "Records in the log of results a sink has not had yet, by sink.",
        "mts_relay_sink_oldest_undelivered_age_seconds":
            "Age of the oldest record a sink has not had yet, by sink (0 while caught up).",
        "mts_relay_store_commits_total":
            "Transactions the store committed (group commit: each holds what queued meanwhile).",
        "mts_relay_store_rows_total": "Rows the store's transactions wrote (table changes and log entries).",
        "mts_relay_reconnects_total": "Broker connections made again after one was lost.",
        "mts_relay_batches_total":
            "Batches handed on, by stage: consumed (deliveries read at once), results (results the result loop took at once), sink (records a sink was given at once).",
        "mts_relay_batch_items_total":
            "Items in the batches of mts_relay_batches_total, by stage (their rates' ratio is the mean batch).",
        "mts_relay_dead_lettered_total":
            "Messages dead-lettered, by reason: invalid, store_refused (the store refused its values), gave_up.",
        "mts_relay_reply_latency": "Request to reply, from the messages' timestampUtc, in seconds.",
        "mts_relay_relay_latency":
            "Reply delivery to its record committed and the reply acknowledged, less any wait for its request, in seconds.",
        "mts_relay_wait": "How long replies waited for their request or the intake watermark, in seconds.",
        "mts_relay_active": "1 while this relay consumes and decides (active), 0 while it stands by.",
        "mts_relay_epoch": "The group lease's epoch of the current term (0 without one).",
        "mts_relay_pending": "Requests outstanding in the pending table.",
        "mts_relay_held_replies": "Replies held waiting for their request.",
        "mts_relay_queued_results": "Results decided and waiting for the result loop.",
        "mts_relay_oldest_pending_age_seconds": "Age of the oldest outstanding request.",
        "mts_relay_unacked_deliveries": "Deliveries read and not yet acknowledged.",
        "mts_relay_watermark_lag_seconds":
            "How far a queue's watermark trails the clock, by source and queue (-1 while unknown).",
        "mts_relay_jackpot_sent_total": "Jackpot tickets marked sent and POSTed (never twice).",
        "mts_relay_jackpot_retried_total":
            "Jackpot POSTs tried again (the Bet Engine certainly did not take them).",
        "mts_relay_jackpot_outcome_unknown_total":
            "Jackpot tickets timed out after their POST may have reached the Bet Engine.",
        "mts_relay_jackpot_latency": "Jackpot POST to answer, in seconds.",
        "mts_relay_jackpot_answered_total": "Jackpot answers, by HTTP status.",
    ]

    /// The help text of `name`; a family missing here says so in its own `# HELP` line (a
    /// test scrapes the endpoint and fails on it).
    static func help(for name: String) -> String {
        help[name] ?? undocumented
    }

    static let undocumented = "undocumented: add it to MetricCatalogue"
}
