import NIOCore

/// A future raced against a deadline, on the future's event loop: ``result`` completes with the
/// future's outcome, or fails with `timedOut()` once `timeout` passes first (then `onTimeout`
/// runs: the caller closes the connection the answer would have come on). The timer is
/// cancelled as soon as the future completes, so a call that answers leaves nothing behind.
///
/// The one bounded wait of PostgreSQL IO: the store's writer thread waits for ``result``, the
/// lease awaits it. Both need it because postgres-nio was seen to leave a query on a
/// connection the server ended (a restart) pending for good.
struct DeadlineRace<Value: Sendable>: Sendable {
    let result: EventLoopFuture<Value>
    private let promise: EventLoopPromise<Value>

    init(
        _ future: EventLoopFuture<Value>, timeout: TimeAmount, timedOut: @escaping @Sendable () -> any Error,
        onTimeout: @escaping @Sendable () -> Void
    ) {
        let promise = future.eventLoop.makePromise(of: Value.self)
        future.cascade(to: promise)
        // Both callbacks run on the future's event loop: once the future has completed the
        // timer is cancelled before it can fire, so when it fires the future has not.
        let timer = future.eventLoop.scheduleTask(in: timeout) {
            promise.fail(timedOut())
            onTimeout()
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        self.promise = promise
        result = promise.futureResult
    }

    /// Ends the race now with `error` (the waiting task was cancelled); a completed race stays
    /// as it was (NIO ignores a second completion).
    func abandon(with error: any Error) {
        promise.fail(error)
    }
}
