internal import CRabbitMQ
import Glibc
import Logging

/// The IO half of a connection: owns the librabbitmq connection and is used only on the
/// connection's own thread.
///
/// It runs `ConnectionStateMachine`'s actions, reads frames, assembles deliveries and
/// settles continuations. Every librabbitmq call of a connection happens here, on one
/// thread: the library is not thread-safe, and it services heartbeats only inside its own
/// calls, so this thread never waits on anything but the socket and its inbox.
final class ConnectionIO {
    typealias PublishContinuation = CheckedContinuation<AMQPPublishConfirmation, any Error>

    let configuration: AMQPConnectionConfiguration
    let logger: Logger
    let inbox: ConnectionInbox
    let closedSignal: ConnectionClosedSignal
    private(set) var machine = ConnectionStateMachine()
    private var connection: amqp_connection_state_t?

    /// Who waits for the confirm of a publish: its caller, or the batch it belongs to.
    enum PublishWaiter {
        case single(PublishContinuation)
        case batch(PublishBatchWaiter, position: Int)

        func settle(_ result: Result<AMQPPublishConfirmation, AMQPError>) {
            switch self {
            case .single(let continuation): continuation.resume(with: result.mapError { $0 })
            case .batch(let batch, let position): batch.settle(position, with: result)
            }
        }
    }

    private var publishWaiters: [UInt16: [UInt64: PublishWaiter]] = [:]
    private var consumers: [String: DeliveryBuffer] = [:]
    /// Deliveries whose content frames are still arriving, by channel.
    private var partialDeliveries: [UInt16: PartialDelivery] = [:]
    /// Acks collected this turn of the loop, by channel; sent by ``flushAcknowledgements()``.
    var acknowledgements: [UInt16: AcknowledgementTracker] = [:]
    private var everOpened = false
    /// The first X509 verification error of the TLS handshake (0 while none), written by
    /// OpenSSL's verify callback on this connection's thread; see `mts_tls_record_verify_errors`.
    private let verifyError = UnsafeMutablePointer<Int32>.allocate(capacity: 1)

    private struct PartialDelivery {
        var consumerTag: String
        var deliveryTag: UInt64
        var redelivered: Bool
        var exchange: String
        var routingKey: String
        var properties = AMQPProperties()
        var bodySize: Int?
        var body: [UInt8] = []
        /// A `basic.return`, whose content is read and dropped.
        var isReturn = false
    }

    init(
        configuration: AMQPConnectionConfiguration, logger: Logger, inbox: ConnectionInbox,
        closedSignal: ConnectionClosedSignal
    ) {
        self.configuration = configuration
        self.logger = logger
        self.inbox = inbox
        self.closedSignal = closedSignal
    }

    deinit {
        if let connection { amqp_destroy_connection(connection) }
        verifyError.deallocate()
    }

    var isFinished: Bool {
        if case .closed = machine.state { true } else { false }
    }

    // MARK: The thread's loop

    /// Connects, reports the outcome through `started`, then serves commands and frames until
    /// the connection ends.
    func run(started: @Sendable (Result<Void, AMQPError>) -> Void) {
        do {
            try connect()
            _ = machine.connected(channelMax: UInt16(clamping: amqp_get_channel_max(connection)))
            everOpened = true
            logger.info("AMQP connection open", metadata: ["broker": "\(configuration)"])
            started(.success(()))
        } catch {
            apply(machine.connectFailed(error))
            started(.failure(error))
            return
        }

        while !isFinished {
            for command in inbox.drain() {
                if isFinished {
                    command.fail(AMQPError(code: .connectionClosed, reason: "the connection is closed"))
                } else {
                    // Acks collected so far go out before anything else is sent (a close, a
                    // nack), so that nothing overtakes them.
                    if !command.isAcknowledgement { flushAcknowledgements() }
                    command.run(self)
                }
            }
            guard !isFinished else { break }
            // Once per turn: the acks of every task that acked since, in the fewest frames.
            flushAcknowledgements()
            guard !isFinished else { break }
            readAvailableFrames()
            guard !isFinished else { break }
            waitForInput()
        }
    }

    /// Sleeps in `poll` until the socket or the inbox is readable, or for at most 250 ms, so
    /// that librabbitmq gets a call often enough to send heartbeats and notice missed ones.
    private func waitForInput() {
        guard let connection else { return }
        if amqp_frames_enqueued(connection) != 0 || amqp_data_in_buffer(connection) != 0 { return }
        var descriptors = [
            pollfd(fd: amqp_get_sockfd(connection), events: Int16(POLLIN), revents: 0),
            pollfd(fd: inbox.wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        _ = poll(&descriptors, 2, 250)
    }

    // MARK: Connecting

    private func connect() throws(AMQPError) {
        guard let connection = amqp_new_connection() else {
            throw AMQPError(code: .connectionFailed, reason: "amqp_new_connection failed (out of memory)")
        }
        self.connection = connection
        let socket: OpaquePointer?
        if let tls = configuration.tls {
            socket = try openTLSSocket(connection, tls)
        } else {
            socket = amqp_tcp_socket_new(connection)
            guard socket != nil else {
                throw AMQPError(code: .connectionFailed, reason: "amqp_tcp_socket_new failed")
            }
        }

        var connectTimeout = timeval(configuration.connectTimeout)
        mts_tls_clear_errors()
        let status = amqp_socket_open_noblock(
            socket, configuration.host, Int32(configuration.port), &connectTimeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw openFailure(status: status)
        }
        _ = amqp_set_handshake_timeout(connection, &connectTimeout)
        var rpcTimeout = timeval(configuration.rpcTimeout)
        _ = amqp_set_rpc_timeout(connection, &rpcTimeout)

        let arena = CArena()
        // Capabilities merge with librabbitmq's defaults. consumer_cancel_notify makes the
        // broker tell us when a consumed queue is deleted (otherwise the consumer just goes
        // quiet); authentication_failure_close turns a bad password into a 403 close rather
        // than a dropped socket.
        var properties = arena.table([
            "connection_name": .string(configuration.connectionName),
            "product": "mts-relay AMQPClient",
            "capabilities": .table([
                "consumer_cancel_notify": true,
                "publisher_confirms": true,
                "basic.nack": true,
                "connection.blocked": true,
                "authentication_failure_close": true,
            ]),
        ])
        let reply =
            switch configuration.login {
            case .plain:
                mts_amqp_login_plain(
                    connection, configuration.virtualHost, 0, Int32(configuration.frameMax),
                    Int32(configuration.heartbeatSeconds), &properties, configuration.user,
                    configuration.password)
            case .external:
                // RabbitMQ takes the user from the certificate and ignores the identity sent;
                // librabbitmq fails ("could not allocate memory") on an empty one.
                mts_amqp_login_external(
                    connection, configuration.virtualHost, 0, Int32(configuration.frameMax),
                    Int32(configuration.heartbeatSeconds), &properties,
                    configuration.user.isEmpty ? "certificate" : configuration.user)
            }
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION where reply.reply.id == MTS_CONNECTION_CLOSE:
            let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            let refused = close.reply_code == 403 || close.reply_code == 530
            throw AMQPError(
                code: refused ? .authenticationFailed : .connectionFailed,
                reason: "login \(loginDescription) to vhost \(configuration.virtualHost) at "
                    + "\(endpoint) refused: \(close.reply_text.string)",
                replyCode: close.reply_code)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            var error = AMQPError(
                status: reply.library_error, context: "AMQP handshake with \(endpoint) failed")
            if error.code != .tlsFailed { error.code = .connectionFailed }
            if configuration.tls == nil {
                // A TLS listener answers the AMQP protocol header with a TLS alert and closes.
                error.reason += " (the server did not speak AMQP; if it is a TLS port, use an amqps:// URL)"
            }
            throw error
        default:
            throw AMQPError(code: .connectionFailed, reason: "unexpected reply to login")
        }
    }

    private var endpoint: String { "\(configuration.host):\(configuration.port)" }

    private var loginDescription: String {
        switch configuration.login {
        case .plain: "as \(configuration.user)"
        case .external: "with the client certificate (EXTERNAL)"
        }
    }

    /// Makes the TLS socket: CA, client certificate and key (a key that does not match its
    /// certificate fails here), verification flags, and the callback that records why the
    /// broker's certificate failed verification.
    private func openTLSSocket(
        _ connection: amqp_connection_state_t, _ tls: AMQPConnectionConfiguration.TLS
    ) throws(AMQPError) -> OpaquePointer {
        guard let socket = amqp_ssl_socket_new(connection) else {
            throw AMQPError(code: .tlsFailed, reason: "amqp_ssl_socket_new failed")
        }
        if let caFile = tls.caFile {
            mts_tls_clear_errors()
            let status = amqp_ssl_socket_set_cacert(socket, caFile)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw tlsError(
                    "cannot load the CA file \(caFile) (for \(endpoint))\(Self.openSSLReason())",
                    status: status)
            }
        }
        switch (tls.certificateFile, tls.keyFile) {
        case (let certificate?, let key?):
            mts_tls_clear_errors()
            let status = amqp_ssl_socket_set_key(socket, certificate, key)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw tlsError(
                    "cannot use the client certificate \(certificate) with the key \(key) (for \(endpoint)): "
                        + "the files cannot be read, or the key does not match the certificate"
                        + Self.openSSLReason(),
                    status: status)
            }
        case (nil, nil):
            if configuration.login == .external {
                throw AMQPError(
                    code: .invalidConfiguration,
                    reason: "the EXTERNAL login to \(endpoint) needs a client certificate and key")
            }
        default:
            throw AMQPError(
                code: .invalidConfiguration,
                reason: "a TLS client certificate needs both the certificate file and the key file")
        }
        // Both default to on in librabbitmq; set them explicitly so the configuration,
        // not the library version, decides.
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        verifyError.pointee = 0
        if let context = amqp_ssl_socket_get_context(socket) {
            mts_tls_record_verify_errors(context, verifyError)
        }
        return socket
    }

    private func tlsError(_ reason: String, status: Int32) -> AMQPError {
        AMQPError(code: .tlsFailed, reason: "TLS: " + reason, libraryStatus: status)
    }

    /// The error of a failed `amqp_socket_open_noblock`: for TLS, which check failed and why.
    private func openFailure(status: Int32) -> AMQPError {
        let library = String(cString: amqp_error_string2(status))
        switch status {
        case AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue:
            let code = verifyError.pointee
            let why =
                code == 0
                ? "the broker presented no certificate, or OpenSSL gave no reason"
                : String(cString: mts_tls_verify_error_string(code)) + " (X509 error \(code))"
            return tlsError(
                "certificate verification failed for \(endpoint): \(why); the CA file is "
                    + (configuration.tls?.caFile ?? "the system's default"),
                status: status)
        case AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED.rawValue:
            return tlsError(
                "host-name verification failed for \(endpoint): the broker's certificate does not name "
                    + "'\(configuration.host)' (connect by a name the certificate lists, or set "
                    + "verifyHostname: false)",
                status: status)
        case AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue, AMQP_STATUS_SSL_ERROR.rawValue:
            let reason = Self.openSSLReason()
            // Decided by OpenSSL's reason code; the words are only shown.
            var hint = ""
            switch Int(mts_tls_last_error_kind()) {
            case Int(MTS_TLS_NOT_TLS):
                hint =
                    " (the server did not answer TLS: is \(configuration.port) a plain AMQP port? use amqp://)"
            case Int(MTS_TLS_CLIENT_CERTIFICATE_REFUSED):
                hint = " (the broker refused the client certificate)"
            default:
                break
            }
            return tlsError(
                "handshake with \(endpoint) failed: \(library)\(reason)\(hint)", status: status)
        default:
            var error = AMQPError(status: status, context: "cannot connect to \(endpoint)")
            if error.code != .tlsFailed { error.code = .connectionFailed }
            return error
        }
    }

    /// "; " and the last error on this thread's OpenSSL error queue, or "".
    private static func openSSLReason() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        mts_tls_last_error(&buffer, buffer.count)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? "" : "; OpenSSL: \(text)"
    }

    // MARK: Applying the state machine's actions

    func apply(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none, .openChannel, .publish, .sendAcknowledgement, .sendChannelClose, .sendConnectionClose:
            // Performed inline by the method that asked; nothing left to do here.
            break
        case .fail(let error):
            logger.debug("AMQP request failed", metadata: ["error": "\(error)"])
        case .dropAcknowledgement(let reason):
            logger.warning("Dropping an acknowledgement", metadata: ["reason": "\(reason)"])
        case .settlePublishes(let channel, let sequences, let acked):
            for sequence in sequences {
                publishWaiters[channel]?.removeValue(forKey: sequence)?.settle(
                    .success(acked ? .acked : .nacked))
            }
        case .finishConsumer(let tag, let error):
            finishConsumer(tag, error: error)
        case .channelClosed(let teardown, let replyCloseOk):
            if replyCloseOk, let connection {
                var ok = amqp_channel_close_ok_t()
                _ = amqp_send_method(connection, teardown.channel, MTS_CHANNEL_CLOSE_OK, &ok)
            }
            settle(
                teardown,
                fallback: AMQPError(code: .channelClosed, reason: "channel \(teardown.channel) closed"))
        case .connectionClosed(let teardowns, let error, let replyCloseOk):
            if replyCloseOk, let connection {
                var ok = amqp_connection_close_ok_t()
                _ = amqp_send_method(connection, 0, MTS_CONNECTION_CLOSE_OK, &ok)
            }
            let closed = error ?? AMQPError(code: .connectionClosed, reason: "the connection was closed")
            for teardown in teardowns { settle(teardown, fallback: closed) }
            for command in inbox.close(with: closed) { command.fail(closed) }
            if let error, !everOpened {
                // The caller of connect gets this error thrown and decides how to report it.
                logger.debug("AMQP connection failed", metadata: ["error": "\(error)"])
            } else if let error {
                logger.error("AMQP connection lost", metadata: ["error": "\(error)"])
            } else {
                logger.info("AMQP connection closed")
            }
            if let connection {
                amqp_destroy_connection(connection)
                self.connection = nil
            }
            closedSignal.close(with: error)
        }
    }

    private func settle(_ teardown: ConnectionStateMachine.ChannelTeardown, fallback: AMQPError) {
        let failure = teardown.error ?? fallback
        let waiters = publishWaiters.removeValue(forKey: teardown.channel) ?? [:]
        for sequence in teardown.unconfirmed { waiters[sequence]?.settle(.failure(failure)) }
        for tag in teardown.consumers { finishConsumer(tag, error: teardown.error) }
        partialDeliveries[teardown.channel] = nil
        // Its deliveries go back to the queue; their acks would be refused.
        acknowledgements[teardown.channel] = nil
    }

    private func finishConsumer(_ tag: String, error: AMQPError?) {
        consumers.removeValue(forKey: tag)?.finish(error: error)
    }

    /// Maps a failed library status to the end of the connection.
    func failTransport(status: Int32, context: String) -> AMQPError {
        let error = AMQPError(status: status, context: context)
        apply(machine.transportFailed(error))
        return error
    }

    /// Checks the reply of a synchronous librabbitmq round trip on `channel`; on a broker
    /// close or library failure, applies it to the state machine and throws.
    func checkReply(_ reply: amqp_rpc_reply_t, channel: UInt16, what: String) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if reply.reply.id == MTS_CHANNEL_CLOSE {
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                let text = close.reply_text.string
                apply(machine.brokerClosedChannel(channel, replyCode: close.reply_code, replyText: text))
                throw AMQPError(
                    code: .brokerClosedChannel, reason: "\(what) refused: \(text)",
                    replyCode: close.reply_code)
            }
            if reply.reply.id == MTS_CONNECTION_CLOSE {
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                let text = close.reply_text.string
                apply(machine.brokerClosedConnection(replyCode: close.reply_code, replyText: text))
                throw AMQPError(
                    code: .brokerClosedConnection, reason: "\(what) refused: \(text)",
                    replyCode: close.reply_code)
            }
            let error = AMQPError(
                code: .protocolViolation, reason: "\(what): unexpected method \(reply.reply.id)")
            apply(machine.transportFailed(error))
            throw error
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw failTransport(status: reply.library_error, context: what)
        default:
            let error = AMQPError(code: .protocolViolation, reason: "\(what): no reply")
            apply(machine.transportFailed(error))
            throw error
        }
    }

    /// The open librabbitmq connection, or the error that says why there is none.
    func requireConnection() throws(AMQPError) -> amqp_connection_state_t {
        guard let connection, case .open = machine.state else {
            throw AMQPError(code: .connectionClosed, reason: "the connection is closed")
        }
        return connection
    }

    /// The librabbitmq connection whatever the state, for the close handshake.
    var currentConnection: amqp_connection_state_t? { connection }

    func registerConsumer(_ tag: String, buffer: DeliveryBuffer) {
        consumers[tag] = buffer
    }

    func registerPublishWaiter(channel: UInt16, sequence: UInt64, continuation: PublishContinuation) {
        publishWaiters[channel, default: [:]][sequence] = .single(continuation)
    }

    func registerPublishWaiter(channel: UInt16, sequence: UInt64, batch: PublishBatchWaiter, position: Int) {
        publishWaiters[channel, default: [:]][sequence] = .batch(batch, position: position)
    }

    func mutateMachine<T>(_ body: (inout ConnectionStateMachine) -> T) -> T {
        body(&machine)
    }

    // MARK: Reading frames

    /// Reads and dispatches every frame that is available without waiting. librabbitmq sends
    /// a due heartbeat and detects a missed one inside this call.
    private func readAvailableFrames() {
        guard let connection else { return }
        var frame = amqp_frame_t()
        var noWait = timeval(tv_sec: 0, tv_usec: 0)
        while !isFinished {
            let status = amqp_simple_wait_frame_noblock(connection, &frame, &noWait)
            if status == AMQP_STATUS_TIMEOUT.rawValue { break }
            guard status == AMQP_STATUS_OK.rawValue else {
                _ = failTransport(status: status, context: "reading from the broker")
                return
            }
            handle(frame)
        }
        if let connection = self.connection { amqp_maybe_release_buffers(connection) }
    }

    private func handle(_ frame: amqp_frame_t) {
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            handleMethod(frame.payload.method, channel: frame.channel)
        case AMQP_FRAME_HEADER:
            guard var partial = partialDeliveries[frame.channel] else { return }
            let header = frame.payload.properties
            partial.properties =
                header.decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee
                .swiftProperties
            partial.bodySize = Int(header.body_size)
            partial.body.reserveCapacity(Int(header.body_size))
            partialDeliveries[frame.channel] = partial
            completeDeliveryIfReady(channel: frame.channel)
        case AMQP_FRAME_BODY:
            guard partialDeliveries[frame.channel] != nil else { return }
            let fragment = frame.payload.body_fragment
            if fragment.len > 0, let bytes = fragment.bytes {
                partialDeliveries[frame.channel]!.body.append(
                    contentsOf: UnsafeRawBufferPointer(start: bytes, count: fragment.len))
            }
            completeDeliveryIfReady(channel: frame.channel)
        default:
            // Heartbeats are consumed inside librabbitmq; nothing else is expected here.
            break
        }
    }

    private func handleMethod(_ method: amqp_method_t, channel: UInt16) {
        switch method.id {
        case MTS_BASIC_DELIVER:
            let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            partialDeliveries[channel] = PartialDelivery(
                consumerTag: deliver.consumer_tag.string, deliveryTag: deliver.delivery_tag,
                redelivered: deliver.redelivered != 0, exchange: deliver.exchange.string,
                routingKey: deliver.routing_key.string)
        case MTS_BASIC_RETURN:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            logger.warning(
                "The broker returned an unroutable message",
                metadata: [
                    "exchange": "\(returned.exchange.string)", "routingKey": "\(returned.routing_key.string)",
                    "reason": "\(returned.reply_text.string)",
                ])
            var partial = PartialDelivery(
                consumerTag: "", deliveryTag: 0, redelivered: false, exchange: returned.exchange.string,
                routingKey: returned.routing_key.string)
            partial.isReturn = true
            partialDeliveries[channel] = partial
        case MTS_BASIC_ACK:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            apply(
                machine.confirmReceived(
                    channel: channel, deliveryTag: ack.delivery_tag, multiple: ack.multiple != 0, acked: true)
            )
        case MTS_BASIC_NACK:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            apply(
                machine.confirmReceived(
                    channel: channel, deliveryTag: nack.delivery_tag, multiple: nack.multiple != 0,
                    acked: false))
        case MTS_BASIC_CANCEL:
            // Sent by the broker when a consumed queue is deleted (consumer_cancel_notify).
            let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            apply(machine.consumerCancelledByBroker(channel: channel, tag: cancel.consumer_tag.string))
        case MTS_CHANNEL_CLOSE:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            apply(
                machine.brokerClosedChannel(
                    channel, replyCode: close.reply_code, replyText: close.reply_text.string))
        case MTS_CONNECTION_CLOSE:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            apply(
                machine.brokerClosedConnection(
                    replyCode: close.reply_code, replyText: close.reply_text.string))
        case MTS_CONNECTION_BLOCKED:
            logger.warning("The broker blocked publishing on this connection (resource alarm)")
        case MTS_CONNECTION_UNBLOCKED:
            logger.info("The broker unblocked publishing on this connection")
        default:
            logger.debug("Ignoring an unexpected AMQP method", metadata: ["method": "\(method.id)"])
        }
    }

    private func completeDeliveryIfReady(channel: UInt16) {
        guard let partial = partialDeliveries[channel], let size = partial.bodySize,
            partial.body.count >= size
        else { return }
        partialDeliveries[channel] = nil
        if partial.isReturn { return }
        guard let buffer = consumers[partial.consumerTag] else {
            // The consumer was cancelled while this delivery was in flight: hand it back.
            if let connection { _ = amqp_basic_reject(connection, channel, partial.deliveryTag, 1) }
            return
        }
        let generation = machine.channels[channel]?.generation ?? 0
        if acknowledgements[channel]?.generation != generation {
            acknowledgements[channel] = AcknowledgementTracker(generation: generation)
        }
        acknowledgements[channel]?.delivered(partial.deliveryTag)
        buffer.append(
            AMQPDelivery(
                body: partial.body, properties: partial.properties, deliveryTag: partial.deliveryTag,
                redelivered: partial.redelivered, exchange: partial.exchange, routingKey: partial.routingKey,
                consumerTag: partial.consumerTag,
                acknowledger: DeliveryAcknowledger(
                    inbox: inbox, channel: channel, generation: generation, logger: logger),
                window: buffer))
    }
}

extension timeval {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
