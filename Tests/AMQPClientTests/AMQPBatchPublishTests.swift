import AMQPClient
import Foundation
import Testing

/// `AMQPChannel.publish(contentsOf:)` against a real RabbitMQ server (see `TestBroker`).
@Suite("AMQP batch publishing against RabbitMQ", .timeLimit(.minutes(2)))
struct AMQPBatchPublishTests {
    /// Reads `count` bodies from `queue`, acking each.
    private func bodies(of queue: String, count: Int, on channel: AMQPChannel) async throws -> [String] {
        try await channel.setPrefetch(500)
        let consumer = try await channel.consume(queue: queue)
        var bodies: [String] = []
        for try await delivery in consumer {
            bodies.append(String(decoding: delivery.body, as: UTF8.self))
            delivery.ack()
            if bodies.count == count { break }
        }
        return bodies
    }

    @Test(arguments: TestBroker.Transport.allCases)
    func aBatchToTwoQueuesIsConfirmedInFullAndKeepsItsOrder(transport: TestBroker.Transport) async throws {
        let connection = try await TestBroker.connect(transport: transport)
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel(publisherConfirms: true)
        let queues = [TestBroker.uniqueName("batch-a"), TestBroker.uniqueName("batch-b")]
        for queue in queues { try await channel.declareQueue(queue, durable: false) }

        let messages = (0..<2000).map { index in
            AMQPOutgoingMessage(
                body: Array("m\(index)".utf8), routingKey: queues[index % 2],
                properties: AMQPProperties(
                    contentType: "text/plain", deliveryMode: .persistent, correlationID: "c\(index)"))
        }
        let confirmations = try await channel.publish(contentsOf: messages)
        #expect(confirmations.count == 2000)
        #expect(confirmations.allSatisfy { $0 == .acked })
        for queue in queues { #expect(try await channel.inspectQueue(queue).messageCount == 1000) }

        let reader = try await connection.openChannel()
        #expect(
            try await bodies(of: queues[1], count: 1000, on: reader) == (0..<1000).map { "m\(2 * $0 + 1)" })
        for queue in queues { try await channel.deleteQueue(queue) }
    }

    /// Batches handed over one after another from one task, without waiting for their confirms,
    /// reach the queue in that order; each completion reports its own batch.
    @Test func batchesSubmittedBackToBackArriveInOrder() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel(publisherConfirms: true)
        let queue = TestBroker.uniqueName("batches")
        try await channel.declareQueue(queue, durable: false)

        let (completions, sink) = AsyncStream.makeStream(of: (Int, Int).self)
        for batch in 0..<20 {
            let messages = (0..<50).map {
                AMQPOutgoingMessage(body: Array("b\(batch)-\($0)".utf8), routingKey: queue)
            }
            channel.publish(contentsOf: messages) { result in
                sink.yield((batch, (try? result.get())?.filter { $0 == .acked }.count ?? -1))
            }
        }
        var acked: [Int: Int] = [:]
        for await (batch, count) in completions {
            acked[batch] = count
            if acked.count == 20 { break }
        }
        #expect(acked == Dictionary(uniqueKeysWithValues: (0..<20).map { ($0, 50) }))
        let expected = (0..<20).flatMap { batch in (0..<50).map { "b\(batch)-\($0)" } }
        #expect(try await bodies(of: queue, count: 1000, on: try await connection.openChannel()) == expected)
        try await channel.deleteQueue(queue)
    }

    @Test func withoutConfirmModeEveryMessageIsUnconfirmedOnceWritten() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        let queue = TestBroker.uniqueName("batch-unconfirmed")
        try await channel.declareQueue(queue, durable: false)
        let messages = (0..<10).map { AMQPOutgoingMessage(body: Array("u\($0)".utf8), routingKey: queue) }
        #expect(try await channel.publish(contentsOf: messages) == Array(repeating: .unconfirmed, count: 10))
        #expect(try await channel.publish(contentsOf: []) == [])
        #expect(try await bodies(of: queue, count: 10, on: channel) == (0..<10).map { "u\($0)" })
        try await channel.deleteQueue(queue)
    }

    /// A batch to a missing exchange: the broker closes the channel (404) and the whole batch
    /// fails with that error; a later batch on the closed channel fails at once; the
    /// connection stays usable.
    @Test func aBatchTheBrokerRefusesFailsAndTheChannelWithIt() async throws {
        let connection = try await TestBroker.connect()
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel(publisherConfirms: true)
        let messages = (0..<5).map {
            AMQPOutgoingMessage(
                body: Array("x\($0)".utf8), exchange: TestBroker.uniqueName("missing"), routingKey: "r")
        }
        await #expect {
            try await channel.publish(contentsOf: messages)
        } throws: { error in
            (error as? AMQPError)?.code == .brokerClosedChannel && (error as? AMQPError)?.replyCode == 404
        }
        await #expect {
            try await channel.publish(contentsOf: messages)
        } throws: { error in
            (error as? AMQPError)?.code == .channelClosed
        }
        #expect(connection.isOpen)
        let other = try await connection.openChannel(publisherConfirms: true)
        let queue = TestBroker.uniqueName("after-refusal")
        try await other.declareQueue(queue, durable: false)
        #expect(
            try await other.publish(contentsOf: [AMQPOutgoingMessage(body: [1], routingKey: queue)]) == [
                .acked
            ])
        try await other.deleteQueue(queue)
    }
}
