import Testing

@testable import AMQPClient

/// The fewest `basic.ack` frames, never one that covers an unsettled delivery.
@Suite struct AcknowledgementTrackerTests {
    typealias Frame = AcknowledgementTracker.Frame

    func tracker(delivered tags: ClosedRange<UInt64>) -> AcknowledgementTracker {
        var tracker = AcknowledgementTracker(generation: 1)
        for tag in tags { tracker.delivered(tag) }
        return tracker
    }

    @Test func aRunAtTheFrontIsOneMultipleFrame() {
        var tracker = tracker(delivered: 1...5)
        for tag: UInt64 in [3, 1, 2] {
            let acknowledged = tracker.acknowledge(tag, multiple: false)
            #expect(acknowledged)
        }
        do {
            let frames = tracker.flush()
            #expect(frames == [Frame(deliveryTag: 3, multiple: true)])
        }
        do {
            let frames = tracker.flush()
            #expect(frames == [], "nothing twice")
        }
        do {
            let acknowledged = tracker.acknowledge(4, multiple: false)
            #expect(acknowledged)
        }
        do {
            let frames = tracker.flush()
            #expect(frames == [Frame(deliveryTag: 4, multiple: false)], "a run of one is a plain ack")
        }
    }

    @Test func settledTagsBehindAGapGoOneByOne() {
        var tracker = tracker(delivered: 1...6)
        for tag: UInt64 in [1, 2, 4, 5] { _ = tracker.acknowledge(tag, multiple: false) }
        do {
            let frames = tracker.flush()
            #expect(
                frames == [
                    Frame(deliveryTag: 2, multiple: true), Frame(deliveryTag: 4, multiple: false),
                    Frame(deliveryTag: 5, multiple: false),
                ])
        }
        // Tag 3 is still outstanding: a later multiple must stop before 6 if 6 is not settled.
        _ = tracker.acknowledge(3, multiple: false)
        do {
            let frames = tracker.flush()
            #expect(frames == [Frame(deliveryTag: 3, multiple: false)])
        }
        _ = tracker.acknowledge(6, multiple: false)
        do {
            let frames = tracker.flush()
            #expect(frames == [Frame(deliveryTag: 6, multiple: false)])
        }
    }

    @Test func anApplicationMultipleSettlesEveryOutstandingTagUpToIt() {
        var tracker = tracker(delivered: 1...4)
        do {
            let acknowledged = tracker.acknowledge(3, multiple: true)
            #expect(acknowledged)
        }
        do {
            let frames = tracker.flush()
            #expect(frames == [Frame(deliveryTag: 3, multiple: true)])
        }
    }

    @Test func unknownAndRepeatedTagsAreNotTracked() {
        var tracker = tracker(delivered: 1...2)
        do {
            let acknowledged = tracker.acknowledge(9, multiple: false)
            #expect(!acknowledged)
        }
        do {
            let acknowledged = tracker.acknowledge(1, multiple: false)
            #expect(acknowledged)
        }
        _ = tracker.flush()
        do {
            let acknowledged = tracker.acknowledge(1, multiple: false)
            #expect(!acknowledged, "already acknowledged")
        }
        #expect(!tracker.hasPending)
    }

    @Test func rejectedTagsLeaveTheRunWithoutBeingCovered() {
        var tracker = tracker(delivered: 1...4)
        tracker.forget(2, multiple: false)
        for tag: UInt64 in [1, 3] { _ = tracker.acknowledge(tag, multiple: false) }
        // 2 was rejected (sent at once), so 1 and 3 are a run now.
        do {
            let frames = tracker.flush()
            #expect(frames == [Frame(deliveryTag: 3, multiple: true)])
        }
        tracker.forget(4, multiple: true)
        do {
            let acknowledged = tracker.acknowledge(4, multiple: false)
            #expect(!acknowledged)
        }
    }

    /// Against a model: after any interleaving of acks and flushes, the frames acknowledge
    /// exactly the acked tags, and no multiple frame covers an unacked one.
    @Test(arguments: 0..<50) func framesAcknowledgeExactlyTheAckedTags(seed: Int) {
        var random = SplitMix(seed: UInt64(seed))
        var tracker = tracker(delivered: 1...40)
        var acked = Set<UInt64>()
        var covered = Set<UInt64>()
        for _ in 0..<60 {
            let tag = UInt64(random.next() % 40 + 1)
            if !acked.contains(tag) {
                acked.insert(tag)
                do {
                    let acknowledged = tracker.acknowledge(tag, multiple: false)
                    #expect(acknowledged)
                }
            }
            if random.next() % 4 == 0 {
                for frame in tracker.flush() {
                    let tags =
                        frame.multiple
                        ? Set((1...frame.deliveryTag).filter { !covered.contains($0) }) : [frame.deliveryTag]
                    #expect(tags.isSubset(of: acked), "frame \(frame) covers an unacked tag")
                    #expect(covered.isDisjoint(with: [frame.deliveryTag]), "tag \(frame.deliveryTag) twice")
                    covered.formUnion(tags)
                }
            }
        }
        for frame in tracker.flush() {
            covered.formUnion(
                frame.multiple
                    ? Set((1...frame.deliveryTag).filter { !covered.contains($0) }) : [frame.deliveryTag])
        }
        #expect(covered == acked)
    }
}

/// A small deterministic generator for the model test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
