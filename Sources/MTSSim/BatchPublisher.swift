import AMQPClient

/// Publishes batches of messages on one channel in confirm mode, each in one hand-over to the
/// connection's thread, with at most `window` messages unconfirmed: `submit` waits for confirms
/// only when the window is full. A value owned by one task (the run's publishing loop); the
/// confirms come back from the connection's thread through an `AsyncStream`.
struct BatchPublisher {
    /// A batch the broker has confirmed (or refused), seen from the connection's thread.
    struct Settled: Sendable {
        var messages: Int
        var hasRequests: Bool
        var at: ContinuousClock.Instant
        var failure: (any Error)?
    }

    private let channel: AMQPChannel
    /// Unconfirmed messages at most (a batch larger than this goes out alone).
    let window: Int
    private var settledBatches: AsyncStream<Settled>.Iterator
    private let settledSink: AsyncStream<Settled>.Continuation
    /// Messages submitted and not yet confirmed.
    private(set) var unconfirmed = 0
    /// Every batch confirmed so far, in the order the confirms arrived.
    private(set) var history: [Settled] = []

    init(channel: AMQPChannel, window: Int) {
        self.channel = channel
        self.window = window
        let (stream, sink) = AsyncStream.makeStream(of: Settled.self)
        settledSink = sink
        settledBatches = stream.makeAsyncIterator()
    }

    /// Submits `messages` (in order, after every batch submitted before), once the window has room.
    /// Throws the failure of an earlier batch when one is seen while waiting.
    mutating func submit(_ messages: [AMQPOutgoingMessage], hasRequests: Bool) async throws {
        guard !messages.isEmpty else { return }
        while unconfirmed > 0, unconfirmed + messages.count > window { try await settleOne() }
        unconfirmed += messages.count
        let sink = settledSink
        let count = messages.count
        channel.publish(contentsOf: messages) { result in
            var failure: (any Error)?
            switch result {
            case .failure(let error):
                failure = error
            case .success(let confirmations):
                if let position = confirmations.firstIndex(where: { $0 != .acked }) {
                    failure = PublishRefused(
                        queue: messages[position].routingKey, confirmation: confirmations[position])
                }
            }
            sink.yield(Settled(messages: count, hasRequests: hasRequests, at: .now, failure: failure))
        }
    }

    /// Waits until every submitted message is confirmed; throws the first failure seen.
    mutating func drain() async throws {
        while unconfirmed > 0 { try await settleOne() }
    }

    private mutating func settleOne() async throws {
        guard let settled = await settledBatches.next() else {
            throw AMQPError(code: .connectionClosed, reason: "the confirms stopped")
        }
        unconfirmed -= settled.messages
        history.append(settled)
        if let failure = settled.failure { throw failure }
    }
}
