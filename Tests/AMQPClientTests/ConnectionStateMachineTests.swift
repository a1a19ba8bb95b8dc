import Testing

@testable import AMQPClient

@Suite("ConnectionStateMachine")
struct ConnectionStateMachineTests {
    private func openMachine() -> ConnectionStateMachine {
        var machine = ConnectionStateMachine()
        _ = machine.connected(channelMax: 2047)
        return machine
    }

    private func openChannel(
        _ machine: inout ConnectionStateMachine, confirm: Bool = false
    ) -> (UInt16, UInt64) {
        guard case .openChannel(let number, let generation) = machine.channelOpenRequested() else {
            Issue.record("channel open refused")
            return (0, 0)
        }
        if confirm { machine.confirmModeSelected(number) }
        return (number, generation)
    }

    @Test func channelsGetTheLowestFreeNumberAndANewGeneration() {
        var machine = openMachine()
        let (first, firstGeneration) = openChannel(&machine)
        let (second, _) = openChannel(&machine)
        #expect(first == 1)
        #expect(second == 2)
        _ = machine.brokerClosedChannel(first, replyCode: 404, replyText: "NOT_FOUND")
        let (reused, reusedGeneration) = openChannel(&machine)
        #expect(reused == 1)
        #expect(reusedGeneration != firstGeneration)
    }

    @Test func channelOpenIsRefusedWhenAllNumbersAreUsed() {
        var machine = ConnectionStateMachine()
        _ = machine.connected(channelMax: 2)
        _ = openChannel(&machine)
        _ = openChannel(&machine)
        guard case .fail(let error) = machine.channelOpenRequested() else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .channelClosed)
    }

    @Test func channelOpenFailsBeforeTheConnectionIsOpen() {
        var machine = ConnectionStateMachine()
        guard case .fail(let error) = machine.channelOpenRequested() else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .connectionClosed)
    }

    @Test func confirmModeNumbersPublishesFromOne() {
        var machine = openMachine()
        let (channel, generation) = openChannel(&machine, confirm: true)
        #expect(machine.publishRequested(channel, generation: generation) == .publish(sequence: 1))
        #expect(machine.publishRequested(channel, generation: generation) == .publish(sequence: 2))
        #expect(machine.publishRequested(channel, generation: generation) == .publish(sequence: 3))
    }

    @Test func publishWithoutConfirmModeHasNoSequence() {
        var machine = openMachine()
        let (channel, generation) = openChannel(&machine)
        #expect(machine.publishRequested(channel, generation: generation) == .publish(sequence: nil))
    }

    /// Confirms of single tags arrive out of order when a channel publishes to several queues:
    /// each settles its own publish, wherever it is among the outstanding ones.
    @Test func singleConfirmsInAnyOrderEachSettleTheirOwnPublish() {
        var machine = openMachine()
        let (channel, generation) = openChannel(&machine, confirm: true)
        for _ in 1...1000 { _ = machine.publishRequested(channel, generation: generation) }
        // Every odd tag from the top down, then every even one from the bottom up.
        let order =
            Array(stride(from: 999, through: 1, by: -2)) + Array(stride(from: 2, through: 1000, by: 2))
        for tag in order.map(UInt64.init) {
            #expect(
                machine.confirmReceived(channel: channel, deliveryTag: tag, multiple: false, acked: true)
                    == .settlePublishes(channel: channel, sequences: [tag], acked: true))
            #expect(
                machine.confirmReceived(channel: channel, deliveryTag: tag, multiple: false, acked: true)
                    == .none)
        }
        #expect(machine.channels[channel]?.unconfirmed.isEmpty == true)
        #expect(machine.publishRequested(channel, generation: generation) == .publish(sequence: 1001))
    }

    @Test func singleAndMultipleConfirmsSettleTheRightPublishes() {
        var machine = openMachine()
        let (channel, generation) = openChannel(&machine, confirm: true)
        for _ in 1...5 { _ = machine.publishRequested(channel, generation: generation) }
        #expect(
            machine.confirmReceived(channel: channel, deliveryTag: 2, multiple: false, acked: true)
                == .settlePublishes(channel: channel, sequences: [2], acked: true))
        #expect(
            machine.confirmReceived(channel: channel, deliveryTag: 4, multiple: true, acked: false)
                == .settlePublishes(channel: channel, sequences: [1, 3, 4], acked: false))
        // Already settled: nothing happens twice.
        #expect(
            machine.confirmReceived(channel: channel, deliveryTag: 4, multiple: false, acked: true) == .none)
        #expect(
            machine.confirmReceived(channel: channel, deliveryTag: 0, multiple: true, acked: true)
                == .settlePublishes(channel: channel, sequences: [5], acked: true))
    }

    @Test func brokerChannelCloseFailsItsPublishesAndConsumersAndAnswersCloseOk() {
        var machine = openMachine()
        let (channel, generation) = openChannel(&machine, confirm: true)
        let (other, otherGeneration) = openChannel(&machine, confirm: true)
        _ = machine.publishRequested(channel, generation: generation)
        _ = machine.publishRequested(channel, generation: generation)
        _ = machine.publishRequested(other, generation: otherGeneration)
        machine.consumerStarted(channel: channel, tag: "c1")
        let action = machine.brokerClosedChannel(channel, replyCode: 406, replyText: "PRECONDITION_FAILED")
        guard case .channelClosed(let teardown, let replyCloseOk) = action else {
            Issue.record("unexpected \(action)")
            return
        }
        #expect(replyCloseOk)
        #expect(teardown.unconfirmed == [1, 2])
        #expect(teardown.consumers == ["c1"])
        #expect(teardown.error?.code == .brokerClosedChannel)
        #expect(teardown.error?.replyCode == 406)
        // The other channel is untouched and the connection stays open.
        #expect(machine.state == .open)
        #expect(machine.channels[other]?.unconfirmed == [1])
        // The closed channel can no longer publish.
        guard case .fail(let error) = machine.publishRequested(channel, generation: generation) else {
            Issue.record("publish on a closed channel was allowed")
            return
        }
        #expect(error.code == .channelClosed)
    }

    @Test func brokerConnectionCloseTearsDownEveryChannel() {
        var machine = openMachine()
        let (first, firstGeneration) = openChannel(&machine, confirm: true)
        let (second, _) = openChannel(&machine)
        _ = machine.publishRequested(first, generation: firstGeneration)
        machine.consumerStarted(channel: second, tag: "c2")
        let action = machine.brokerClosedConnection(
            replyCode: 320, replyText: "CONNECTION_FORCED - closed via management plugin")
        guard case .connectionClosed(let teardowns, let error, let replyCloseOk) = action else {
            Issue.record("unexpected \(action)")
            return
        }
        #expect(replyCloseOk)
        #expect(error?.code == .brokerClosedConnection)
        #expect(error?.replyCode == 320)
        #expect(teardowns.map(\.channel) == [first, second])
        #expect(teardowns[0].unconfirmed == [1])
        #expect(teardowns[1].consumers == ["c2"])
        #expect(teardowns.allSatisfy { $0.error?.code == .brokerClosedConnection })
        guard case .closed(let final) = machine.state else {
            Issue.record("not closed")
            return
        }
        #expect(final?.replyCode == 320)
    }

    @Test func missedHeartbeatEndsTheConnectionWithoutCloseOk() {
        var machine = openMachine()
        let (channel, _) = openChannel(&machine)
        machine.consumerStarted(channel: channel, tag: "c")
        let heartbeat = AMQPError(code: .heartbeatMissed, reason: "missed heartbeat", libraryStatus: -15)
        guard
            case .connectionClosed(let teardowns, let error, let replyCloseOk) = machine.transportFailed(
                heartbeat)
        else {
            Issue.record("expected a teardown")
            return
        }
        #expect(!replyCloseOk)
        #expect(error == heartbeat)
        #expect(teardowns.first?.consumers == ["c"])
        // A second failure reported afterwards changes nothing.
        #expect(machine.transportFailed(heartbeat) == .none)
    }

    @Test func acknowledgementsOfAClosedChannelOrConnectionAreDropped() {
        var machine = openMachine()
        let (channel, generation) = openChannel(&machine)
        #expect(
            machine.acknowledgementRequested(channel: channel, generation: generation) == .sendAcknowledgement
        )

        _ = machine.brokerClosedChannel(
            channel, replyCode: 406, replyText: "PRECONDITION_FAILED - unknown delivery tag")
        let (reopened, newGeneration) = openChannel(&machine)
        #expect(reopened == channel)
        // Same number, newer incarnation: the old delivery's ack must not go out on it.
        guard
            case .dropAcknowledgement = machine.acknowledgementRequested(
                channel: channel, generation: generation)
        else {
            Issue.record("stale acknowledgement was allowed")
            return
        }
        #expect(
            machine.acknowledgementRequested(channel: reopened, generation: newGeneration)
                == .sendAcknowledgement)

        _ = machine.transportFailed(AMQPError(code: .transportFailed, reason: "socket closed"))
        guard
            case .dropAcknowledgement = machine.acknowledgementRequested(
                channel: reopened, generation: newGeneration)
        else {
            Issue.record("acknowledgement after the connection died was allowed")
            return
        }
    }

    @Test func consumerCancelledByBrokerEndsWithAnError() {
        var machine = openMachine()
        let (channel, _) = openChannel(&machine)
        machine.consumerStarted(channel: channel, tag: "amq.ctag-1")
        guard
            case .finishConsumer(let tag, let error) = machine.consumerCancelledByBroker(
                channel: channel, tag: "amq.ctag-1")
        else {
            Issue.record("expected finishConsumer")
            return
        }
        #expect(tag == "amq.ctag-1")
        #expect(error?.code == .consumerCancelledByBroker)
        // An unknown tag (already cancelled) does nothing.
        #expect(machine.consumerCancelledByBroker(channel: channel, tag: "amq.ctag-1") == .none)
    }

    @Test func applicationCloseEndsConsumersCleanlyAndFailsPublishes() {
        var machine = openMachine()
        let (channel, generation) = openChannel(&machine, confirm: true)
        _ = machine.publishRequested(channel, generation: generation)
        machine.consumerStarted(channel: channel, tag: "c")
        #expect(machine.closeRequested() == .sendConnectionClose)
        #expect(machine.closeRequested() == .none)
        guard case .connectionClosed(let teardowns, let error, _) = machine.closeCompleted() else {
            Issue.record("expected a teardown")
            return
        }
        #expect(error == nil)
        #expect(teardowns.first?.unconfirmed == [1])
        #expect(teardowns.first?.error == nil)
        #expect(machine.state == .closed(nil))
    }

    @Test func failureWhileClosingStillCountsAsAnApplicationClose() {
        var machine = openMachine()
        _ = machine.closeRequested()
        guard
            case .connectionClosed(_, let error, _) = machine.transportFailed(
                AMQPError(code: .transportFailed, reason: "EOF"))
        else {
            Issue.record("expected a teardown")
            return
        }
        #expect(error == nil)
        #expect(machine.state == .closed(nil))
    }

    @Test func connectFailureIsFinal() {
        var machine = ConnectionStateMachine()
        let refused = AMQPError(code: .authenticationFailed, reason: "ACCESS_REFUSED", replyCode: 403)
        #expect(machine.connectFailed(refused) == .connectionClosed([], error: refused, replyCloseOk: false))
        #expect(machine.connected(channelMax: 10) == .none)
        #expect(machine.state == .closed(refused))
    }

    @Test func applicationChannelCloseEndsConsumersCleanly() {
        var machine = openMachine()
        let (channel, generation) = openChannel(&machine)
        machine.consumerStarted(channel: channel, tag: "c")
        #expect(machine.channelCloseRequested(channel, generation: generation) == .sendChannelClose(channel))
        #expect(machine.channelCloseRequested(channel, generation: generation) == .none)
        guard case .channelClosed(let teardown, let replyCloseOk) = machine.channelCloseCompleted(channel)
        else {
            Issue.record("expected channelClosed")
            return
        }
        #expect(!replyCloseOk)
        #expect(teardown.consumers == ["c"])
        #expect(teardown.error == nil)
    }
}
