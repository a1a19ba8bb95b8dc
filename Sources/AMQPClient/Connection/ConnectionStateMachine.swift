import DequeModule

/// The lifecycle and bookkeeping of one AMQP connection, with no IO.
///
/// The thread that owns a librabbitmq connection feeds every event into this value and
/// performs the `Action` it returns; the value itself never touches a socket, so each rule
/// below is unit-tested without a broker. It decides:
/// - which channel number a new channel gets, and which incarnation of a channel a delivery
///   tag belongs to (an ack for a channel or connection that has since closed is dropped,
///   never sent on a newer one);
/// - the publish sequence numbers of channels in confirm mode, and which publishes a
///   `basic.ack`/`basic.nack` (possibly `multiple`) settles;
/// - what fails, and with which error, when the broker closes a channel or the connection,
///   when the transport dies, or when the application closes.
struct ConnectionStateMachine: Sendable {
    enum State: Sendable, Equatable {
        case connecting
        case open
        /// The application asked to close; waiting for `connection.close-ok`.
        case closing
        /// Final. `nil` when the application closed it, else the failure that ended it.
        case closed(AMQPError?)
    }

    /// An open channel's bookkeeping.
    struct Channel: Sendable, Equatable {
        /// Distinguishes this incarnation from earlier channels with the same number.
        var generation: UInt64
        var confirmMode = false
        var nextPublishSequence: UInt64 = 1
        /// Publish sequence numbers awaiting a confirm, ascending (confirms mostly settle the
        /// front).
        var unconfirmed: Deque<UInt64> = []
        var consumers: Set<String> = []
        var closing = false
    }

    /// What a closing channel leaves behind for the IO layer to settle.
    struct ChannelTeardown: Sendable, Equatable {
        var channel: UInt16
        /// Publishes to fail with `error`.
        var unconfirmed: [UInt64]
        /// Consumers to finish: with `error` when it is set, cleanly otherwise.
        var consumers: [String]
        var error: AMQPError?
    }

    enum Action: Sendable, Equatable {
        /// Nothing to do.
        case none
        /// Fail the request that caused the event.
        case fail(AMQPError)
        /// Send `channel.open` for this number.
        case openChannel(UInt16, generation: UInt64)
        /// Send `basic.publish`; in confirm mode the broker will confirm `sequence`.
        case publish(sequence: UInt64?)
        /// Send the acknowledgement (ack, nack or reject) as asked.
        case sendAcknowledgement
        /// Do not send the acknowledgement: its delivery belongs to a closed channel.
        case dropAcknowledgement(reason: String)
        /// Send `channel.close` and wait for `close-ok`.
        case sendChannelClose(UInt16)
        /// Settle these publishes: `acked` true for `basic.ack`, false for `basic.nack`.
        case settlePublishes(channel: UInt16, sequences: [UInt64], acked: Bool)
        /// End one consumer's stream, with an error or cleanly.
        case finishConsumer(tag: String, error: AMQPError?)
        /// A channel is gone: settle what it leaves; answer `close-ok` when `replyCloseOk`.
        case channelClosed(ChannelTeardown, replyCloseOk: Bool)
        /// Send `connection.close` and wait for `close-ok`, then tear down.
        case sendConnectionClose
        /// The connection is gone: settle every channel, answer `close-ok` when
        /// `replyCloseOk`, then destroy the librabbitmq connection.
        case connectionClosed([ChannelTeardown], error: AMQPError?, replyCloseOk: Bool)
    }

    private(set) var state: State = .connecting
    private(set) var channels: [UInt16: Channel] = [:]
    private var channelMax: UInt16 = 2047
    private var lastGeneration: UInt64 = 0

    init() {}

    // MARK: Connection lifecycle

    /// Login completed; `channelMax` is what the broker and client negotiated (0 = no limit).
    mutating func connected(channelMax: UInt16) -> Action {
        guard case .connecting = state else { return .none }
        self.channelMax = channelMax == 0 ? UInt16.max : channelMax
        state = .open
        return .none
    }

    /// The TCP connect, TLS handshake or login failed.
    mutating func connectFailed(_ error: AMQPError) -> Action {
        guard case .connecting = state else { return .none }
        state = .closed(error)
        return .connectionClosed([], error: error, replyCloseOk: false)
    }

    /// The application wants the connection closed.
    mutating func closeRequested() -> Action {
        switch state {
        case .connecting, .open:
            state = .closing
            return .sendConnectionClose
        case .closing, .closed:
            return .none
        }
    }

    /// `connection.close-ok` arrived (or the close round trip ended) after `closeRequested`.
    mutating func closeCompleted() -> Action {
        guard case .closing = state else { return .none }
        state = .closed(nil)
        return .connectionClosed(tearDownAllChannels(error: nil), error: nil, replyCloseOk: false)
    }

    /// The broker sent `connection.close`.
    mutating func brokerClosedConnection(replyCode: UInt16, replyText: String) -> Action {
        let error = AMQPError(
            code: .brokerClosedConnection, reason: "broker closed the connection: \(replyText)",
            replyCode: replyCode)
        return endConnection(error: error, replyCloseOk: true)
    }

    /// The socket failed, the broker went silent past two heartbeats, or a frame could not
    /// be read or written.
    mutating func transportFailed(_ error: AMQPError) -> Action {
        endConnection(error: error, replyCloseOk: false)
    }

    private mutating func endConnection(error: AMQPError, replyCloseOk: Bool) -> Action {
        switch state {
        case .closed:
            return .none
        case .closing:
            // The application was closing anyway: the failure only makes it final sooner,
            // and consumers end cleanly as the application asked.
            state = .closed(nil)
            return .connectionClosed(tearDownAllChannels(error: nil), error: nil, replyCloseOk: replyCloseOk)
        case .connecting, .open:
            state = .closed(error)
            return .connectionClosed(
                tearDownAllChannels(error: error), error: error, replyCloseOk: replyCloseOk)
        }
    }

    private mutating func tearDownAllChannels(error: AMQPError?) -> [ChannelTeardown] {
        let teardowns = channels.keys.sorted().map { teardown(channel: $0, error: error) }
        channels.removeAll()
        return teardowns
    }

    // MARK: Channels

    /// The application wants a new channel.
    mutating func channelOpenRequested() -> Action {
        guard case .open = state else { return .fail(connectionNotOpen) }
        // The lowest free number, as librabbitmq's examples do; the generation, not the
        // number, tells incarnations apart.
        guard let number = (1...channelMax).first(where: { channels[$0] == nil }) else {
            return .fail(AMQPError(code: .channelClosed, reason: "all \(channelMax) channels are in use"))
        }
        lastGeneration += 1
        channels[number] = Channel(generation: lastGeneration)
        return .openChannel(number, generation: lastGeneration)
    }

    /// `channel.open` failed before the channel was usable.
    mutating func channelOpenFailed(_ channel: UInt16) {
        channels[channel] = nil
    }

    /// `confirm.select-ok` arrived: publishes on this channel are now confirmed.
    mutating func confirmModeSelected(_ channel: UInt16) {
        channels[channel]?.confirmMode = true
    }

    /// The application wants a channel closed.
    mutating func channelCloseRequested(_ channel: UInt16, generation: UInt64) -> Action {
        guard case .open = state, var entry = channels[channel], entry.generation == generation,
            !entry.closing
        else { return .none }
        entry.closing = true
        channels[channel] = entry
        return .sendChannelClose(channel)
    }

    /// `channel.close-ok` arrived for a close the application asked for.
    mutating func channelCloseCompleted(_ channel: UInt16) -> Action {
        guard channels[channel] != nil else { return .none }
        let result = teardown(channel: channel, error: nil)
        channels[channel] = nil
        return .channelClosed(result, replyCloseOk: false)
    }

    /// The broker sent `channel.close` (e.g. 404 on a missing queue, 406 on a stale tag).
    mutating func brokerClosedChannel(_ channel: UInt16, replyCode: UInt16, replyText: String) -> Action {
        guard channels[channel] != nil else {
            // Still answer, so the broker can reuse the number.
            return .channelClosed(
                ChannelTeardown(channel: channel, unconfirmed: [], consumers: [], error: nil),
                replyCloseOk: true)
        }
        let error = AMQPError(
            code: .brokerClosedChannel, reason: "broker closed channel \(channel): \(replyText)",
            replyCode: replyCode)
        let result = teardown(channel: channel, error: error)
        channels[channel] = nil
        return .channelClosed(result, replyCloseOk: true)
    }

    /// Whether a request may use this channel now; `.none` when it may.
    func checkUsable(_ channel: UInt16, generation: UInt64) -> Action {
        guard case .open = state else { return .fail(connectionNotOpen) }
        guard let entry = channels[channel], entry.generation == generation, !entry.closing else {
            return .fail(AMQPError(code: .channelClosed, reason: "channel \(channel) is closed"))
        }
        return .none
    }

    private func teardown(channel: UInt16, error: AMQPError?) -> ChannelTeardown {
        let entry = channels[channel]
        return ChannelTeardown(
            channel: channel, unconfirmed: Array(entry?.unconfirmed ?? []),
            consumers: entry.map { $0.consumers.sorted() } ?? [], error: error)
    }

    private var connectionNotOpen: AMQPError {
        switch state {
        case .closed(let error?):
            AMQPError(
                code: .connectionClosed, reason: "the connection is closed (\(error.code): \(error.reason))",
                replyCode: error.replyCode, libraryStatus: error.libraryStatus)
        default:
            AMQPError(code: .connectionClosed, reason: "the connection is closed")
        }
    }

    // MARK: Publishing

    /// The application wants to publish on a channel.
    mutating func publishRequested(_ channel: UInt16, generation: UInt64) -> Action {
        let check = checkUsable(channel, generation: generation)
        guard case .none = check, let confirmMode = channels[channel]?.confirmMode else { return check }
        guard confirmMode else { return .publish(sequence: nil) }
        // In place: a copy of the entry would copy its unconfirmed sequences on every publish.
        let sequence = channels[channel]!.nextPublishSequence
        channels[channel]!.nextPublishSequence += 1
        channels[channel]!.unconfirmed.append(sequence)
        return .publish(sequence: sequence)
    }

    /// `basic.ack` (`acked`) or `basic.nack` arrived from the broker for published messages.
    /// With `multiple`, it settles every sequence up to `deliveryTag`; a tag of 0 with
    /// `multiple` settles all outstanding ones.
    mutating func confirmReceived(channel: UInt16, deliveryTag: UInt64, multiple: Bool, acked: Bool) -> Action
    {
        guard channels[channel]?.confirmMode == true else { return .none }
        var settled: [UInt64] = []
        if multiple {
            let limit = deliveryTag == 0 ? UInt64.max : deliveryTag
            // Ascending: the settled ones are at the front.
            while let first = channels[channel]!.unconfirmed.first, first <= limit {
                settled.append(channels[channel]!.unconfirmed.removeFirst())
            }
        } else if channels[channel]!.unconfirmed.first == deliveryTag {
            settled = [channels[channel]!.unconfirmed.removeFirst()]
        } else if let index = Self.position(of: deliveryTag, in: channels[channel]!.unconfirmed) {
            // Confirms of single tags come out of order when messages go to several queues.
            settled = [deliveryTag]
            channels[channel]!.unconfirmed.remove(at: index)
        }
        return settled.isEmpty ? .none : .settlePublishes(channel: channel, sequences: settled, acked: acked)
    }

    /// Where `sequence` is in the ascending `sequences` (binary search), nil when absent.
    private static func position(of sequence: UInt64, in sequences: Deque<UInt64>) -> Int? {
        var low = 0
        var high = sequences.count
        while low < high {
            let middle = (low + high) / 2
            if sequences[middle] < sequence { low = middle + 1 } else { high = middle }
        }
        return low < sequences.count && sequences[low] == sequence ? low : nil
    }

    // MARK: Consuming

    /// `basic.consume-ok` arrived with this consumer tag.
    mutating func consumerStarted(channel: UInt16, tag: String) {
        channels[channel]?.consumers.insert(tag)
    }

    /// The broker cancelled a consumer (its queue was deleted, or it failed over).
    mutating func consumerCancelledByBroker(channel: UInt16, tag: String) -> Action {
        guard channels[channel]?.consumers.remove(tag) != nil else { return .none }
        return .finishConsumer(
            tag: tag,
            error: AMQPError(
                code: .consumerCancelledByBroker,
                reason: "the broker cancelled consumer \(tag) (was its queue deleted?)"))
    }

    /// `basic.cancel-ok` arrived for a cancel the application asked for.
    mutating func consumerCancelled(channel: UInt16, tag: String) -> Action {
        guard channels[channel]?.consumers.remove(tag) != nil else { return .none }
        return .finishConsumer(tag: tag, error: nil)
    }

    /// The application wants to ack, nack or reject a delivery that arrived on this channel
    /// incarnation.
    func acknowledgementRequested(channel: UInt16, generation: UInt64) -> Action {
        switch state {
        case .open:
            guard let entry = channels[channel], entry.generation == generation else {
                return .dropAcknowledgement(reason: "its channel \(channel) has closed since the delivery")
            }
            return .sendAcknowledgement
        case .connecting, .closing, .closed:
            return .dropAcknowledgement(reason: "its connection has closed since the delivery")
        }
    }
}
