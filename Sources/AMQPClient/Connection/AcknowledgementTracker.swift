import DequeModule

/// Which of one channel incarnation's deliveries are settled, and the fewest `basic.ack`
/// frames that say so. A pure value, owned by the connection's thread.
///
/// The application acks one delivery at a time, from any task; the tracker collects those acks
/// and, once per turn of the connection's loop, turns them into frames: one `multiple=true`
/// frame for the run of settled tags at the front (the lowest outstanding ones), and a single
/// frame for each settled tag behind an unsettled one. A `multiple` frame never covers a tag
/// that is not settled: the broker would take it as acknowledged too. Nacks and rejects are
/// not collected (they are rare and go out at once); the tracker only forgets their tags, after
/// the caller flushed the acks before them, so that no `multiple` frame could nack an ack.
///
/// A tracker belongs to one channel incarnation: a delivery tag means nothing on another one.
struct AcknowledgementTracker: Sendable {
    /// One `basic.ack` to send.
    struct Frame: Sendable, Equatable {
        var deliveryTag: UInt64
        var multiple: Bool
    }

    /// The channel incarnation the tags belong to.
    let generation: UInt64
    /// Delivered, not yet acknowledged to the broker: ascending (the broker numbers a channel's
    /// deliveries in order).
    private var outstanding = Deque<UInt64>()
    /// Among `outstanding`, those the application has acked and no frame has said yet.
    private var settled = Set<UInt64>()

    init(generation: UInt64) {
        self.generation = generation
    }

    /// Whether acks are waiting for a frame.
    var hasPending: Bool { !settled.isEmpty }

    /// A delivery of this incarnation reached the application.
    mutating func delivered(_ tag: UInt64) {
        outstanding.append(tag)
    }

    /// The application acked `tag` (with `multiple`, every outstanding tag up to it).
    ///
    /// - Returns: false when the tag is not outstanding here (already acknowledged, or never
    ///   tracked): the caller sends it as it is, as an untracked acknowledgement.
    mutating func acknowledge(_ tag: UInt64, multiple: Bool) -> Bool {
        if multiple {
            var any = false
            for outstandingTag in outstanding {
                guard outstandingTag <= tag else { break }
                settled.insert(outstandingTag)
                any = true
            }
            return any
        }
        guard outstanding.contains(tag) else { return false }
        settled.insert(tag)
        return true
    }

    /// The application nacked or rejected `tag` (with `multiple`, every outstanding tag up to
    /// it): those tags leave the tracker. Flush before sending that frame.
    mutating func forget(_ tag: UInt64, multiple: Bool) {
        precondition(settled.isEmpty, "flush the pending acks before a nack or reject")
        if multiple {
            while let first = outstanding.first, first <= tag { outstanding.removeFirst() }
        } else if let index = outstanding.firstIndex(of: tag) {
            outstanding.remove(at: index)
        }
    }

    /// The frames that acknowledge every pending ack, in the order to send them; the tracker
    /// then forgets those tags.
    mutating func flush() -> [Frame] {
        guard !settled.isEmpty else { return [] }
        var frames: [Frame] = []
        var run = 0
        for tag in outstanding {
            guard settled.contains(tag) else { break }
            run += 1
        }
        if run > 0 {
            frames.append(Frame(deliveryTag: outstanding[run - 1], multiple: run > 1))
            for _ in 0..<run { settled.remove(outstanding.removeFirst()) }
        }
        if !settled.isEmpty {
            // Behind an unsettled tag: one frame each (a multiple would cover the gap).
            var kept = Deque<UInt64>()
            for tag in outstanding {
                if settled.remove(tag) != nil {
                    frames.append(Frame(deliveryTag: tag, multiple: false))
                } else {
                    kept.append(tag)
                }
            }
            outstanding = kept
        }
        return frames
    }
}
