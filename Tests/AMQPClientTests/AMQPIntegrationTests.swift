import AMQPClient
import Foundation
import TestSupport
import Testing

/// Against a real RabbitMQ server (see `TestBroker`). Each test uses its own queues.
@Suite("AMQP client against RabbitMQ", .timeLimit(.minutes(2)))
struct AMQPIntegrationTests {
    @Test(arguments: TestBroker.Transport.allCases)
    func roundTripKeepsBodyPropertiesAndHeaders(transport: TestBroker.Transport) async throws {
        let connection = try await TestBroker.connect(transport: transport)
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel(publisherConfirms: true)
        let queue = TestBroker.uniqueName("roundtrip")
        try await channel.declareQueue(queue, durable: false, autoDelete: true)

        let body = Array(#"{"correlationId":"kL20vAyh","version":"3.0"}"#.utf8)
        let properties = AMQPProperties(
            contentType: "application/json", contentEncoding: "utf-8",
            headers: [
                "replyRoutingKey": "node1.ticket.confirm", "attempt": .int32(3), "flag": true,
                "nested": .table(["a": .int64(-5)]), "list": .array([.string("x"), .double(1.5)]),
            ],
            deliveryMode: .persistent, priority: 4, correlationID: "kL20vAyh", replyTo: "reply-here",
            messageID: "m-1", timestamp: 1_703_852_996, type: "ticket-reply", appID: "tests")
        let confirmation = try await channel.publish(body, routingKey: queue, properties: properties)
        #expect(confirmation == .acked)

        let consumer = try await channel.consume(queue: queue)
        let delivery = try #require(try await consumer.first())
        #expect(delivery.body == body)
        #expect(delivery.properties == properties)
        #expect(delivery.properties.correlationID == "kL20vAyh")
        #expect(delivery.properties.headers?["replyRoutingKey"]?.stringValue == "node1.ticket.confirm")
        #expect(delivery.redelivered == false)
        #expect(delivery.routingKey == queue)
        #expect(delivery.consumerTag == consumer.tag)
        delivery.ack()
    }

    /// The consumer's flow: what is buffered, what is unsettled, and whether the prefetch window
    /// is full (the broker holds the rest back) — what the relay's watermarks are built on.
    @Test func theConsumerFlowFollowsTheBufferAndThePrefetchWindow() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        let queue = TestBroker.uniqueName("flow")
        try await channel.declareQueue(queue, durable: false, autoDelete: true)
        try await TestBroker.fill(queue, on: connection, bodies: (0..<5).map { Array("m\($0)".utf8) })
        try await channel.setPrefetch(3)
        let consumer = try await channel.consume(queue: queue)
        consumer.setPrefetch(3)
        try await waitUntil("three deliveries buffered", timeout: .seconds(5)) { consumer.flow.buffered >= 3 }
        #expect(consumer.flow == .init(buffered: 3, unsettled: 3, windowFull: true, windowFreedAt: nil))
        let batch = try await consumer.nextBatch(max: 10)
        #expect(batch.count == 3)
        #expect(consumer.flow.buffered == 0)
        #expect(consumer.flow.windowFull, "taken is not settled")
        #expect(try await channel.inspectQueue(queue).messageCount == 2, "the broker holds two back")
        batch[0].ack()
        // (The broker may push the fourth message at once; the flow was read right after the ack.)
        #expect(consumer.flow.windowFreedAt != nil)
        batch[1].ack(multiple: true)
        // Tags 1 and 2 are settled; the third of the batch is not, nor what has arrived since.
        let flow = consumer.flow
        #expect(flow.unsettled == 1 + flow.buffered, "multiple settles every tag up to it")
        var rest: [AMQPDelivery] = []
        while rest.count < 2 { rest += try await consumer.nextBatch(max: 10) }
        for delivery in rest + [batch[2]] { delivery.ack() }
        let end = consumer.flow
        #expect(end.buffered == 0 && end.unsettled == 0 && !end.windowFull)
    }

    /// Acks go out in the fewest frames, but a `multiple` frame never covers a delivery that
    /// was not acked: that one comes back, redelivered, and only that one.
    @Test func anUnackedDeliveryBetweenAckedOnesComesBackAlone() async throws {
        let queue = TestBroker.uniqueName("gap")
        var unacked = ""
        do {
            let connection = try await TestBroker.connect()
            let channel = try await connection.openChannel()
            try await channel.declareQueue(queue, durable: false)
            try await TestBroker.fill(queue, on: connection, bodies: (1...5).map { Array("m\($0)".utf8) })
            try await channel.setPrefetch(10)
            let consumer = try await channel.consume(queue: queue)
            var deliveries: [AMQPDelivery] = []
            while deliveries.count < 5 { deliveries += try await consumer.nextBatch(max: 10) }
            // Not the third delivery (fill publishes concurrently: which body it has varies).
            unacked = String(decoding: deliveries[2].body, as: UTF8.self)
            for index in [0, 1, 3, 4] { deliveries[index].ack() }
            // Closing flushes the collected acks first; the unacked one goes back to the queue.
            await connection.close()
        }
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        #expect(try await channel.inspectQueue(queue).messageCount == 1)
        let consumer = try await channel.consume(queue: queue)
        let back = try await consumer.nextBatch(max: 10)
        #expect(back.map { String(decoding: $0.body, as: UTF8.self) } == [unacked])
        #expect(back.first?.redelivered == true)
        back.first?.ack()
        _ = try await channel.deleteQueue(queue)
    }

    @Test(arguments: TestBroker.Transport.allCases)
    func tenThousandMessagesWithManualAcksNoneLostNoneTwice(transport: TestBroker.Transport) async throws {
        let connection = try await TestBroker.connect(transport: transport)
        defer { Task { await connection.close() } }
        let setup = try await connection.openChannel()
        let queue = TestBroker.uniqueName("tenk")
        try await setup.declareQueue(queue, durable: false)
        let count = 10_000
        try await TestBroker.fill(
            queue, on: connection, bodies: (0..<count).map { Array("message-\($0)".utf8) })
        #expect(try await setup.inspectQueue(queue).messageCount == UInt32(count))

        let channel = try await connection.openChannel()
        try await channel.setPrefetch(200)
        var seen = Set<String>()
        var duplicates = 0
        for try await delivery in try await channel.consume(queue: queue) {
            if !seen.insert(String(decoding: delivery.body, as: UTF8.self)).inserted { duplicates += 1 }
            delivery.ack()
            if seen.count == count { break }
        }
        #expect(seen.count == count)
        #expect(duplicates == 0)
        // Closing the channel would requeue anything left unacknowledged: an empty queue
        // afterwards proves every ack reached the broker.
        try await channel.close()
        #expect(try await setup.inspectQueue(queue).messageCount == 0)
        try await setup.deleteQueue(queue)
    }

    @Test func batchesTakeWhatHasArrivedAndAMultipleAckSettlesThemAll() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let setup = try await connection.openChannel()
        let queue = TestBroker.uniqueName("batch")
        try await setup.declareQueue(queue, durable: false)
        try await TestBroker.fill(queue, on: connection, bodies: (0..<500).map { Array("b\($0)".utf8) })

        let channel = try await connection.openChannel()
        try await channel.setPrefetch(100)
        let consumer = try await channel.consume(queue: queue)
        consumer.setPrefetch(100)
        // Once the prefetch window is full, the first batch is a full one.
        try await waitUntil("a full prefetch window") { consumer.flow.buffered == 100 }
        var received: [String] = []
        var largestBatch = 0
        while received.count < 500 {
            let batch = try await consumer.nextBatch(max: 64)
            #expect(!batch.isEmpty && batch.count <= 64)
            largestBatch = max(largestBatch, batch.count)
            received += batch.map { String(decoding: $0.body, as: UTF8.self) }
            batch.last?.ack(multiple: true)
        }
        // `fill` publishes concurrently, so the queue's order is not the bodies' order.
        #expect(received.count == 500)
        #expect(Set(received) == Set((0..<500).map { "b\($0)" }))
        #expect(largestBatch == 64)
        try await channel.close()
        #expect(try await setup.inspectQueue(queue).messageCount == 0)
        try await setup.deleteQueue(queue)
    }

    @Test func batchWithATimeoutReturnsEmptyWhenIdleAndNothingIsDropped() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        let queue = TestBroker.uniqueName("timeout")
        try await channel.declareQueue(queue, durable: false, autoDelete: true)
        let consumer = try await channel.consume(queue: queue)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await consumer.nextBatch(max: 10, timeout: .milliseconds(200))?.isEmpty == true)
        #expect(clock.now - start >= .milliseconds(200))

        try await TestBroker.fill(queue, on: connection, bodies: (0..<300).map { Array("t\($0)".utf8) })
        var received: [String] = []
        // Short timeouts race the arrivals: every delivery still comes out exactly once.
        while received.count < 300 {
            let batch = try #require(try await consumer.nextBatch(max: 7, timeout: .milliseconds(1)))
            received += batch.map { String(decoding: $0.body, as: UTF8.self) }
            batch.forEach { $0.ack() }
        }
        // `fill` publishes concurrently, so the queue's order is not the bodies' order.
        #expect(received.count == 300)
        #expect(Set(received) == Set((0..<300).map { "t\($0)" }))
        try await channel.cancel(consumerTag: consumer.tag)
        #expect(try await consumer.nextBatch(max: 10, timeout: .seconds(5)).map(\.count) == nil)
    }

    @Test(arguments: TestBroker.Transport.allCases)
    func tenThousandPublishesEachGetAConfirm(transport: TestBroker.Transport) async throws {
        let connection = try await TestBroker.connect(transport: transport)
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel(publisherConfirms: true)
        let queue = TestBroker.uniqueName("confirms")
        try await channel.declareQueue(queue, durable: false)
        let confirmations = try await withThrowingTaskGroup(of: AMQPPublishConfirmation.self) { group in
            for index in 0..<10_000 {
                group.addTask { try await channel.publish(Array("p\(index)".utf8), routingKey: queue) }
            }
            var acked = 0
            for try await confirmation in group where confirmation == .acked { acked += 1 }
            return acked
        }
        #expect(confirmations == 10_000)
        #expect(try await channel.inspectQueue(queue).messageCount == 10_000)
        try await channel.deleteQueue(queue)
    }

    @Test func nackWithRequeueComesBackRedelivered() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        let queue = TestBroker.uniqueName("nack")
        try await channel.declareQueue(queue, durable: false, autoDelete: true)
        try await TestBroker.fill(queue, on: connection, bodies: [Array("again".utf8)])

        var iterator = try await channel.consume(queue: queue).makeAsyncIterator()
        let first = try #require(try await iterator.next())
        #expect(!first.redelivered)
        first.nack(requeue: true)
        let second = try #require(try await iterator.next())
        #expect(second.body == Array("again".utf8))
        #expect(second.redelivered)
        second.ack()
    }

    @Test func rejectWithoutRequeueLandsInTheDeadLetterQueue() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        let exchange = TestBroker.uniqueName("dlx")
        let deadLetters = TestBroker.uniqueName("dlq")
        let queue = TestBroker.uniqueName("work")
        try await channel.declareExchange(exchange, type: "fanout", durable: false, autoDelete: true)
        try await channel.declareQueue(deadLetters, durable: false, autoDelete: false)
        try await channel.bindQueue(deadLetters, exchange: exchange)
        try await channel.declareQueue(
            queue, durable: false, autoDelete: true, arguments: ["x-dead-letter-exchange": .string(exchange)])
        try await TestBroker.fill(
            queue, on: connection, bodies: [Array("poison".utf8)], properties: .init(correlationID: "c-9"))

        // Keep the iterator alive until after the reject: dropping it cancels the consumer,
        // and the auto-delete queue would vanish with the message still unacknowledged.
        var iterator = try await channel.consume(queue: queue).makeAsyncIterator()
        let delivery = try #require(try await iterator.next())
        delivery.reject(requeue: false)

        let deadChannel = try await connection.openChannel()
        let dead = try #require(try await deadChannel.consume(queue: deadLetters).first())
        #expect(dead.body == Array("poison".utf8))
        #expect(dead.properties.correlationID == "c-9")
        if case .array(let deaths)? = dead.properties.headers?["x-death"],
            case .table(let death)? = deaths.first
        {
            #expect(death["reason"]?.stringValue == "rejected")
            #expect(death["queue"]?.stringValue == queue)
        } else {
            Issue.record("no x-death header: \(String(describing: dead.properties.headers))")
        }
        dead.ack()
        try await deadChannel.deleteQueue(deadLetters)
        _ = iterator
    }

    @Test(arguments: TestBroker.Transport.allCases)
    func brokerClosingTheConnectionSurfacesWithinTwoSecondsAndOldAcksAreDropped(
        transport: TestBroker.Transport
    ) async throws {
        let name = TestBroker.uniqueName("killme")
        let connection = try await TestBroker.connect(name, transport: transport)
        let channel = try await connection.openChannel()
        let queue = TestBroker.uniqueName("killq")
        try await channel.declareQueue(queue, durable: false)
        try await TestBroker.fill(queue, on: connection, bodies: [Array("held".utf8)])
        var iterator = try await channel.consume(queue: queue).makeAsyncIterator()
        let held = try #require(try await iterator.next())

        let (pid, _) = try #require(try await TestBroker.brokerConnection(named: name))
        try await RabbitMQControl.run(["close_connection", pid, "test: closed from the broker side"])
        let closedAt = ContinuousClock.now

        await #expect {
            _ = try await iterator.next()
        } throws: { error in
            (error as? AMQPError)?.code == .brokerClosedConnection && (error as? AMQPError)?.replyCode == 320
        }
        let ended = await connection.closed()
        #expect(ContinuousClock.now - closedAt < .seconds(2))
        #expect(ended?.code == .brokerClosedConnection)
        #expect(!connection.isOpen)
        await #expect(throws: AMQPError.self) { try await channel.declareQueue(TestBroker.uniqueName("x")) }

        // The held delivery's ack is dropped (its connection is gone), so the broker still
        // has the message and delivers it again, flagged redelivered, on a new connection.
        held.ack()
        let fresh = try await TestBroker.connect()
        defer { Task { await fresh.close() } }
        let freshChannel = try await fresh.openChannel()
        let again = try #require(try await freshChannel.consume(queue: queue).first())
        #expect(again.body == Array("held".utf8))
        #expect(again.redelivered)
        again.ack()
        try await freshChannel.deleteQueue(queue)
    }

    @Test(arguments: TestBroker.Transport.allCases)
    func idleConnectionWithFiveSecondHeartbeatSurvivesTwentySeconds(
        transport: TestBroker.Transport
    ) async throws {
        let name = TestBroker.uniqueName("idle")
        let connection = try await TestBroker.connect(name, heartbeatSeconds: 5, transport: transport)
        defer { Task { await connection.close() } }
        #expect(try await TestBroker.brokerConnection(named: name)?.heartbeatSeconds == 5)
        try await letTimePass(.seconds(20), "four 5 s heartbeat intervals of an idle connection")
        #expect(connection.isOpen)
        let channel = try await connection.openChannel()
        let queue = TestBroker.uniqueName("idleq")
        try await channel.declareQueue(queue, durable: false, exclusive: true, autoDelete: true)
        #expect(try await TestBroker.brokerConnection(named: name) != nil)
    }

    @Test func consumerThatDoesNotReadForTwentySecondsKeepsItsConnection() async throws {
        let name = TestBroker.uniqueName("slow")
        let connection = try await TestBroker.connect(name, heartbeatSeconds: 5)
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        try await channel.setPrefetch(50)
        let queue = TestBroker.uniqueName("slowq")
        try await channel.declareQueue(queue, durable: false, autoDelete: true)
        try await TestBroker.fill(queue, on: connection, bodies: (0..<100).map { Array("slow-\($0)".utf8) })

        let consumer = try await channel.consume(queue: queue)
        // The application sits on its deliveries; the connection's thread keeps servicing
        // heartbeats regardless.
        try await letTimePass(.seconds(20), "four 5 s heartbeat intervals without reading a delivery")
        #expect(connection.isOpen)
        var received = 0
        for try await delivery in consumer {
            delivery.ack()
            received += 1
            if received == 100 { break }
        }
        #expect(received == 100)
        #expect(connection.isOpen)
        #expect(try await TestBroker.brokerConnection(named: name) != nil)
    }

    @Test func deletingTheQueueEndsItsConsumerWithAnError() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        let queue = TestBroker.uniqueName("doomed")
        try await channel.declareQueue(queue, durable: false)
        let consumer = try await channel.consume(queue: queue)

        let admin = try await connection.openChannel()
        try await admin.deleteQueue(queue)
        await #expect {
            for try await _ in consumer {}
        } throws: { error in
            (error as? AMQPError)?.code == .consumerCancelledByBroker
        }
        // The channel itself stays usable.
        try await channel.declareQueue(
            TestBroker.uniqueName("after"), durable: false, exclusive: true, autoDelete: true)
    }

    @Test func conflictingQueueArgumentsAndMissingQueuesCloseOnlyTheChannel() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        let queue = TestBroker.uniqueName("quorum")
        try await channel.declareQueue(
            queue, durable: true, arguments: ["x-queue-type": "quorum", "x-delivery-limit": 5])
        await #expect {
            try await channel.declareQueue(queue, durable: true, arguments: ["x-queue-type": "classic"])
        } throws: { error in
            (error as? AMQPError)?.code == .brokerClosedChannel && (error as? AMQPError)?.replyCode == 406
        }
        let probe = try await connection.openChannel()
        await #expect {
            try await probe.inspectQueue(TestBroker.uniqueName("missing"))
        } throws: { error in
            (error as? AMQPError)?.replyCode == 404
        }
        #expect(connection.isOpen)
        let cleanup = try await connection.openChannel()
        #expect(try await cleanup.inspectQueue(queue).messageCount == 0)
        try await cleanup.deleteQueue(queue)
    }

    @Test func wrongPasswordIsAnAuthenticationErrorWithoutThePassword() async throws {
        var configuration = try TestBroker.configuration(name: TestBroker.uniqueName("badpass"))
        configuration.password = "definitely-Wrong-9"
        await #expect {
            _ = try await AMQPConnection.connect(configuration, logger: TestBroker.logger)
        } throws: { error in
            guard let error = error as? AMQPError else { return false }
            return error.code == .authenticationFailed && !"\(error)".contains("definitely-Wrong-9")
        }
    }

    @Test func refusedConnectionIsAConnectionError() async throws {
        var configuration = try TestBroker.configuration(name: TestBroker.uniqueName("refused"))
        configuration.port = 1
        await #expect {
            _ = try await AMQPConnection.connect(configuration, logger: TestBroker.logger)
        } throws: { error in
            (error as? AMQPError)?.code == .connectionFailed
        }
    }
}
