internal import CRabbitMQ
import Glibc
import Synchronization

/// A unit of work for a connection's owning thread.
///
/// `run` executes on that thread with exclusive use of the librabbitmq connection; `fail`
/// is called instead, from whichever thread notices, when the connection ended before the
/// command ran.
struct ConnectionCommand: Sendable {
    let run: @Sendable (ConnectionIO) -> Void
    let fail: @Sendable (AMQPError) -> Void
    /// An ack, which only marks its delivery settled: other commands flush the marked acks first.
    var isAcknowledgement = false
}

/// The queue through which any task hands work to a connection's owning thread, plus the
/// eventfd that wakes that thread from `poll` when work arrives.
final class ConnectionInbox: Sendable {
    private struct State {
        var commands: [ConnectionCommand] = []
        /// Set once the owning thread has finished; later submissions fail at once.
        var closedError: AMQPError?
        var wakePending = false
    }

    private let state = Mutex(State())
    /// Readable while commands are waiting. Written and closed only under `state`'s lock, so
    /// a submitter can never write to a descriptor number that was closed and reused.
    let wakeDescriptor: Int32

    init() throws(AMQPError) {
        let descriptor = mts_new_wake_descriptor()
        guard descriptor >= 0 else {
            throw AMQPError(code: .connectionFailed, reason: "eventfd failed: errno \(errno)")
        }
        wakeDescriptor = descriptor
    }

    /// Queues a command; runs `fail` at once when the connection has already ended.
    func submit(_ command: ConnectionCommand) {
        let rejected: AMQPError? = state.withLock { state in
            if let error = state.closedError { return error }
            state.commands.append(command)
            if !state.wakePending {
                state.wakePending = true
                var one: UInt64 = 1
                _ = write(wakeDescriptor, &one, 8)
            }
            return nil
        }
        if let rejected { command.fail(rejected) }
    }

    /// Takes every waiting command, in submission order, and clears the wake-up.
    func drain() -> [ConnectionCommand] {
        state.withLock { state in
            guard state.wakePending else { return [] }
            state.wakePending = false
            var counter: UInt64 = 0
            _ = read(wakeDescriptor, &counter, 8)
            defer { state.commands.removeAll(keepingCapacity: true) }
            return state.commands
        }
    }

    /// Refuses further commands with `error` and returns those still waiting, to be failed.
    func close(with error: AMQPError) -> [ConnectionCommand] {
        state.withLock { state in
            guard state.closedError == nil else { return [] }
            state.closedError = error
            Glibc.close(wakeDescriptor)
            defer { state.commands.removeAll() }
            return state.commands
        }
    }
}
