import Glibc

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, validated once where it enters the program.
/// One type for every layer: CNIKit parses results into it, Netlink hands it to the kernel.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Network byte order.
    public let bytes: [UInt8]

    /// Four or sixteen raw bytes, network byte order.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses dotted IPv4 (`10.1.1.2`) or any IPv6 text form (`fd00::1`) with inet_pton. Nil otherwise.
    /// Text with a NUL is refused: inet_pton would read only up to it (`"10.1.1.2\u{0}junk"`).
    public init?(_ text: String) {
        guard !text.utf8.contains(0) else { return nil }
        for (family, size) in [(AF_INET, 4), (AF_INET6, 16)] {
            var buffer = [UInt8](repeating: 0, count: size)
            if inet_pton(family, text, &buffer) == 1 {
                self.bytes = buffer
                return
            }
        }
        return nil
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public enum Family: Sendable { case v4, v6 }
    public var family: Family { isIPv4 ? .v4 : .v6 }

    /// fe80::/10: the kernel gives one to every IPv6 link that comes up.
    public var isIPv6LinkLocal: Bool { bytes.count == 16 && bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 }
    /// 224.0.0.0/4 or ff00::/8.
    public var isMulticast: Bool { isIPv4 ? bytes[0] & 0xf0 == 0xe0 : bytes[0] == 0xff }

    /// The canonical text form (inet_ntop): `10.1.1.2`, `fd00::1`.
    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = bytes.withUnsafeBytes { inet_ntop(isIPv4 ? AF_INET : AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The all-zero address of a family (the destination of a default route).
    public static func zero(ipv6: Bool) -> IPAddress { IPAddress(bytes: [UInt8](repeating: 0, count: ipv6 ? 16 : 4))! }
}

/// An address with a prefix length, e.g. `10.1.1.2/24`. Host bits are kept (it is an interface address);
/// `network` clears them.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public var family: IPAddress.Family { address.family }

    /// Nil when the prefix length is out of range for the family (0...32 or 0...128).
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0...address.bytes.count * 8).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/PREFIX` (`10.1.1.2/24`, `fd00::2/64`). A bare address without `/` is refused.
    public init?(_ cidr: String) {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])),
              !parts[1].isEmpty, parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
              let length = Int(parts[1]) else { return nil }
        self.init(address: address, prefixLength: length)
    }

    /// The same prefix with the host bits cleared: `10.1.1.2/24` -> `10.1.1.0/24`.
    public var network: IPNetwork {
        IPNetwork(address: IPAddress(bytes: masked(address.bytes))!, prefixLength: prefixLength)!
    }

    /// True when `other` is of the same family and inside this prefix.
    public func contains(_ other: IPAddress) -> Bool {
        other.isIPv4 == address.isIPv4 && masked(other.bytes) == masked(address.bytes)
    }

    /// The first address after the network address (`10.1.1.0/24` -> `10.1.1.1`): the gateway the
    /// reference bridge plugin picks when IPAM gives none.
    public var firstHost: IPAddress {
        var bytes = network.address.bytes
        for index in bytes.indices.reversed() {
            bytes[index] &+= 1
            if bytes[index] != 0 { break }
        }
        return IPAddress(bytes: bytes)!
    }

    /// True for 0.0.0.0/0 and ::/0.
    public var isDefault: Bool { prefixLength == 0 }

    public var description: String { "\(address)/\(prefixLength)" }

    /// The IPv4 broadcast address of this prefix (host bits set); nil for IPv6 and for /31 and /32,
    /// which have none.
    public var broadcast: IPAddress? {
        guard address.isIPv4, prefixLength < 31 else { return nil }
        let mask = self.mask
        return IPAddress(bytes: zip(address.bytes, mask).map { $0 | ~$1 })
    }

    private var mask: [UInt8] {
        (0..<address.bytes.count).map { index in
            let bits = min(max(prefixLength - index * 8, 0), 8)
            return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }

    private func masked(_ bytes: [UInt8]) -> [UInt8] { zip(bytes, mask).map { $0 & $1 } }
}
