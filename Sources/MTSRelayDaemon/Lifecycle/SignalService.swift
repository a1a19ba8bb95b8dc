import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The signals the daemon handles besides the `ServiceGroup`'s graceful shutdown: SIGHUP
/// reopens the file sinks (logrotate), and a second SIGTERM or SIGINT exits at once.
///
/// A `Service` over swift-service-lifecycle's `UnixSignalsSequence`, listed first in the group
/// so that it stops last: a second stop signal is honoured for the whole of the shutdown.
/// Each trapping of a signal is told of it, so the group's own SIGTERM handling still runs.
struct SignalService: Service {
    let fileSinks: [FileSink]
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigterm, .sigint)
        // Ends when the group's graceful shutdown reaches this service, the last one.
        await cancelWhenGracefulShutdown {
            var stops = 0
            for await signal in signals {
                if signal == .sighup {
                    logger.info("SIGHUP: reopening file sinks")
                    for sink in fileSinks { sink.reopen() }
                    continue
                }
                stops += 1
                if stops >= 2 {
                    logger.warning("Second stop signal: exiting at once")
                    exit(1)
                }
            }
        }
    }
}
