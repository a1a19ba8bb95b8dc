/// The oldest outstanding request, for the daemon's "oldest pending age" gauge.
///
/// A min-heap of (timestampUtc, slot) entries added at registration and dropped lazily: an
/// entry whose slot no longer holds an outstanding request with that timestamp is discarded
/// when it reaches the top. So that resolved entries stuck under a long-lived one cannot pile
/// up, the heap is rebuilt from the outstanding requests when it holds more than twice as many
/// entries as there are outstanding requests (plus some slack) and at least as many as there
/// are slots. The rebuild scans every slot (free ones included), so the second condition is
/// what keeps it amortised O(1) per registration; the heap stays within
/// max(2 × outstanding + 4096, slots) entries.
struct OutstandingAgeEntry: Sendable, Comparable {
    var timestampUtc: Int64
    var slot: Int32

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.timestampUtc, lhs.slot) < (rhs.timestampUtc, rhs.slot)
    }
}

extension CorrelationCore {
    mutating func trackOutstandingAge(slot: Int32) {
        ages.insert(OutstandingAgeEntry(timestampUtc: slots[Int(slot)].timestampUtc, slot: slot))
        if ages.count > 2 * outstandingCount + 4096, ages.count >= slots.count {
            var rebuilt = MinHeap<OutstandingAgeEntry>()
            for index in slots.indices where slots[index].isOutstanding {
                rebuilt.insert(
                    OutstandingAgeEntry(timestampUtc: slots[index].timestampUtc, slot: Int32(index)))
            }
            ages = rebuilt
        }
    }

    /// The `timestampUtc` of the oldest outstanding request, or nil when none is outstanding.
    public mutating func oldestOutstandingTimestamp() -> Int64? {
        while let top = ages.first {
            let slot = slots[Int(top.slot)]
            if slot.isOutstanding && slot.timestampUtc == top.timestampUtc { return top.timestampUtc }
            _ = ages.popFirst()
        }
        return nil
    }
}
