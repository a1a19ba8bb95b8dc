/// A stable (unseeded) 64-bit hash of message bodies, kept in the store to recognise
/// redelivered registrations and replies. Not a security measure: it only tells a redelivered
/// body from a different one.
///
/// Eight bytes per step, with the input and finishing rounds of xxHash64 in one lane (and
/// without its 4-byte step): not interchangeable with XXH64, which it equals only for inputs
/// shorter than 4 bytes. It replaced byte-at-a-time FNV-1a, whose one dependent multiply per
/// byte took 12 % of the core's register + match time (perf, 461-byte ticket bodies).
///
/// The values are stored: changing this function changes what an existing store recognises.
enum BodyHash {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { buffer in
            var hash = prime5 &+ UInt64(buffer.count)
            var offset = 0
            while offset + 8 <= buffer.count {
                let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                // The word's own round does not depend on `hash`, so it overlaps the previous step.
                let lane = rotate(word &* prime2, 31) &* prime1
                hash = rotate(hash ^ lane, 27) &* prime1 &+ prime4
                offset += 8
            }
            while offset < buffer.count {
                hash ^= UInt64(buffer[offset]) &* prime5
                hash = rotate(hash, 11) &* prime1
                offset += 1
            }
            hash ^= hash >> 33
            hash &*= prime2
            hash ^= hash >> 29
            hash &*= prime3
            hash ^= hash >> 32
            return hash
        }
    }

    private static func rotate(_ value: UInt64, _ bits: UInt64) -> UInt64 {
        (value << bits) | (value >> (64 - bits))
    }
}
