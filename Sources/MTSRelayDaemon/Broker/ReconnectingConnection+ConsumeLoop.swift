import AMQPClient
import Logging

extension ReconnectingConnection {
    /// The connection of one of the daemon's consume loops (intake or replies): named after
    /// it, beating its watchdog while it waits to reconnect, and counting reconnects.
    static func consumeLoop(
        _ part: ConsumeLoopWatchdog.Part, configuration: AMQPConnectionConfiguration,
        watchdog: ConsumeLoopWatchdog, metrics: RelayMetrics, logger: Logger
    ) -> ReconnectingConnection {
        var reconnecting = ReconnectingConnection(
            configuration: configuration, role: part.rawValue, logger: logger)
        reconnecting.onWait = { watchdog.beat(part) }
        reconnecting.onReconnect = { metrics.recordReconnect() }
        return reconnecting
    }
}
