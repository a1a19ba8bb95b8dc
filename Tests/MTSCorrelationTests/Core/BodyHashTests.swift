import Testing

@testable import MTSCorrelation

/// The stable body hash. Its values are stored in SQLite (`body_hash`, `reply_hash`): an existing
/// store recognises a redelivered registration (and a redelivered matching reply) by comparing
/// them, so any change to the function breaks that recognition for stores written before it.
@Suite struct BodyHashTests {
    /// 100 bytes: twelve full 8-byte words and a 4-byte tail.
    static let hundredBytes = Array(String(repeating: "0123456789", count: 10).utf8)

    @Test func valuesArePinned() {
        // Computed once from the implementation of this commit and stored here on purpose: these
        // values live in existing SQLite stores. Do not update them to make a change pass. (For
        // inputs shorter than 4 bytes the function coincides with xxHash64, seed 0.)
        #expect(BodyHash.hash([]) == 0xEF46_DB37_51D8_E999)
        #expect(BodyHash.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(BodyHash.hash(Self.hundredBytes) == 0xD79C_6271_3F3B_072F)
        #expect(BodyHash.hash(Array("{\"request\":\"a\"}".utf8)) == 0xEB29_3AC9_6F68_DCF7)
    }

    @Test func sameLengthDifferentContentDiffers() {
        // Every 1- and 2-byte input.
        var seen = Set<UInt64>()
        for first in UInt8.min...UInt8.max {
            seen.insert(BodyHash.hash([first]))
            for second in UInt8.min...UInt8.max { seen.insert(BodyHash.hash([first, second])) }
        }
        #expect(seen.count == 256 + 256 * 256)
        // Longer inputs of the same length, across word and tail sizes.
        for length in 3...70 {
            let inputs: [[UInt8]] = [
                Array(repeating: 0x61, count: length), Array(repeating: 0x62, count: length),
                Array(repeating: 0x00, count: length), (0..<length).map { UInt8(truncatingIfNeeded: $0) },
                (0..<length).map { UInt8(truncatingIfNeeded: length - $0) },
            ]
            #expect(Set(inputs.map(BodyHash.hash)).count == inputs.count, "length \(length)")
        }
    }

    @Test func aOneByteChangeAnywhereChangesTheHash() {
        // Lengths 1...40 put the changed byte in every position of full words and of tails of
        // 1 to 7 bytes; 100 and 461 (a typical ticket) are longer bodies with a tail.
        var bases: [[UInt8]] = (1...40).map { length in
            (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        }
        bases.append(Self.hundredBytes)
        bases.append((0..<461).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 7) })
        for base in bases {
            let original = BodyHash.hash(base)
            for position in base.indices {
                for flip: UInt8 in [0x01, 0x80, 0xFF] {
                    var changed = base
                    changed[position] ^= flip
                    #expect(
                        BodyHash.hash(changed) != original,
                        "length \(base.count), byte \(position), xor \(flip)")
                }
            }
        }
    }

    @Test func theLengthCounts() {
        // Zero bytes appended still change the hash (the tail step and the seed take the length).
        var previous: Set<UInt64> = []
        for length in 0...64 {
            #expect(previous.insert(BodyHash.hash(Array(repeating: 0, count: length))).inserted)
        }
    }
}
