/// A 48-bit Ethernet address, validated once where it enters the program.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Six raw bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// Parses `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff`, any case. Nil for anything else.
    public init?(_ text: String) {
        let separator: Character = text.contains("-") ? "-" : ":"
        let parts = text.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // Two hex digits exactly: UInt8(_:radix:) alone would also take a sign ("+a").
            guard part.utf8.count == 2, part.utf8.allSatisfy(Self.isHexDigit), let byte = UInt8(part, radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }

    /// Lower-case, colon-separated: the form `ip link` and the reference plugins print.
    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// The IPv6 link-local address a host makes from this MAC (RFC 4291 modified EUI-64: `fe80::`, then the
    /// MAC with its universal/local bit flipped and `ff:fe` in the middle), as Linux does by default.
    public var linkLocalAddress: IPAddress {
        IPAddress(bytes: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, bytes[0] ^ 0x02, bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5]])!
    }

    /// Group bit set: multicast or broadcast, never valid as an interface address.
    public var isMulticast: Bool { bytes[0] & 0x01 != 0 }
    public var isZero: Bool { bytes.allSatisfy { $0 == 0 } }
    /// Usable as a unicast interface address (what the kernel accepts for `ip link set address`).
    public var isValidUnicast: Bool { !isMulticast && !isZero }
}
