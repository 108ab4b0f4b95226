/// XXH64 (xxHash, 64-bit), as specified in the xxHash project's `doc/xxhash_spec.md`: the hash
/// macvtap-cni's device plugin names its macvtaps with (Go's cespare/xxhash `Sum64String`, seed 0).
enum XXHash64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    static func hash(_ text: String, seed: UInt64 = 0) -> UInt64 { hash(Array(text.utf8), seed: seed) }

    static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        let count = bytes.count
        var offset = 0
        var acc: UInt64
        if count >= 32 {
            var lanes = (seed &+ prime1 &+ prime2, seed &+ prime2, seed, seed &- prime1)
            while offset + 32 <= count {
                lanes.0 = round(lanes.0, read64(bytes, offset))
                lanes.1 = round(lanes.1, read64(bytes, offset + 8))
                lanes.2 = round(lanes.2, read64(bytes, offset + 16))
                lanes.3 = round(lanes.3, read64(bytes, offset + 24))
                offset += 32
            }
            acc = rotl(lanes.0, 1) &+ rotl(lanes.1, 7) &+ rotl(lanes.2, 12) &+ rotl(lanes.3, 18)
            for lane in [lanes.0, lanes.1, lanes.2, lanes.3] { acc = (acc ^ round(0, lane)) &* prime1 &+ prime4 }
        } else {
            acc = seed &+ prime5
        }
        acc &+= UInt64(count)
        while offset + 8 <= count {
            acc ^= round(0, read64(bytes, offset))
            acc = rotl(acc, 27) &* prime1 &+ prime4
            offset += 8
        }
        if offset + 4 <= count {
            acc ^= UInt64(read32(bytes, offset)) &* prime1
            acc = rotl(acc, 23) &* prime2 &+ prime3
            offset += 4
        }
        while offset < count {
            acc ^= UInt64(bytes[offset]) &* prime5
            acc = rotl(acc, 11) &* prime1
            offset += 1
        }
        acc ^= acc >> 33
        acc &*= prime2
        acc ^= acc >> 29
        acc &*= prime3
        acc ^= acc >> 32
        return acc
    }

    private static func round(_ acc: UInt64, _ lane: UInt64) -> UInt64 {
        rotl(acc &+ lane &* prime2, 31) &* prime1
    }

    private static func rotl(_ value: UInt64, _ bits: UInt64) -> UInt64 { value << bits | value >> (64 - bits) }

    /// Little-endian, whatever the host.
    private static func read64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    private static func read32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }
}
