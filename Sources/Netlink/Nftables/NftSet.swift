/// The type of a set's keys, as `nft` names it (`type ifname`, `type ether_addr`, ...).
public enum NftKeyType: Hashable, Sendable, CustomStringConvertible {
    /// An interface name, IFNAMSIZ (16) bytes, zero padded.
    case ifname
    case etherAddress
    case ipv4Address
    case ipv6Address

    /// nft's datatype number (TYPE_IFNAME, TYPE_ETHERADDR, TYPE_IPADDR, TYPE_IP6ADDR): the kernel
    /// stores it opaquely and `nft list` uses it to print keys.
    var nftTypeID: UInt32 {
        switch self {
        case .ifname: 41
        case .etherAddress: 9
        case .ipv4Address: 7
        case .ipv6Address: 8
        }
    }

    /// Key length in bytes.
    var length: UInt32 {
        switch self {
        case .ifname: 16
        case .etherAddress: 6
        case .ipv4Address: 4
        case .ipv6Address: 16
        }
    }

    /// The byte order nft records in the set's userdata (1 host, 2 big endian).
    var byteOrder: UInt32 { self == .ifname ? 1 : 2 }

    public var description: String {
        switch self {
        case .ifname: "ifname"
        case .etherAddress: "ether_addr"
        case .ipv4Address: "ipv4_addr"
        case .ipv6Address: "ipv6_addr"
        }
    }
}

/// A value compared against a packet field or stored as a set key.
public enum NftValue: Hashable, Sendable, CustomStringConvertible {
    /// An exact interface name (1-15 bytes); a trailing `*` makes it a prefix match, as in `nft`.
    case ifname(String)
    case ether(MACAddress)
    /// Four bytes, network order.
    case ipv4([UInt8])
    /// Sixteen bytes, network order.
    case ipv6([UInt8])
    /// An EtherType (0x0800 IPv4, 0x0806 ARP, 0x86dd IPv6), sent big endian.
    case etherType(UInt16)
    /// A network `10.0.0.0/8`, `fd00::/64` (host bits of the address are ignored): compared as a prefix,
    /// never a set key.
    case network(IPNetwork)
    /// A netfilter family for `meta nfproto` (NFPROTO_IPV4 2, NFPROTO_IPV6 10), one byte.
    case nfproto(IPAddress.Family)
    /// A one-byte integer (a protocol number, an ICMPv6 type, an option type).
    case byte(UInt8)
    /// A two-byte integer, sent big endian (a length field).
    case uint16(UInt16)
    /// Whether something is there (`exthdr frag exists`): one byte, 1 or 0.
    case present(Bool)
    /// The named set of the table (`ip6 saddr @name`): a match tests membership, never a set key.
    case set(String)

    public static let ipv4Type = NftValue.etherType(0x0800)
    public static let arpType = NftValue.etherType(0x0806)
    public static let ipv6Type = NftValue.etherType(0x86dd)

    /// The bytes the kernel compares, or why the value is not valid.
    func bytes() -> Result<[UInt8], NftInvalid> {
        switch self {
        case .ifname(let name):
            let raw = Array(name.utf8)
            if raw.last == UInt8(ascii: "*") {
                guard raw.count > 1, raw.count <= 16 else { return .failure(NftInvalid("interface name pattern \(name) must be 1-15 bytes before the *")) }
                return .success(Array(raw.dropLast()))
            }
            guard (1...15).contains(raw.count), !raw.contains(0) else {
                return .failure(NftInvalid("interface name \"\(name)\" must be 1-15 bytes"))
            }
            return .success(raw + [UInt8](repeating: 0, count: 16 - raw.count))
        case .ether(let mac):
            return .success(mac.bytes)
        case .ipv4(let bytes):
            return bytes.count == 4 ? .success(bytes) : .failure(NftInvalid("an IPv4 address has 4 bytes, not \(bytes.count)"))
        case .ipv6(let bytes):
            return bytes.count == 16 ? .success(bytes) : .failure(NftInvalid("an IPv6 address has 16 bytes, not \(bytes.count)"))
        case .etherType(let type):
            return .success([UInt8(type >> 8), UInt8(type & 0xff)])
        case .network(let network):
            return .success(network.network.address.bytes)
        case .nfproto(let family):
            return .success([family == .v4 ? 2 : 10])
        case .byte(let value):
            return .success([value])
        case .uint16(let value):
            return .success([UInt8(value >> 8), UInt8(value & 0xff)])
        case .present(let present):
            return .success([present ? 1 : 0])
        case .set(let name):
            return .failure(NftInvalid(name: name, kind: "set") ?? NftInvalid("set @\(name) is not a value to compare with"))
        }
    }

    /// `prefix` one bits, then zeros, over `length` bytes.
    static func mask(prefix: Int, length: Int) -> [UInt8] {
        (0..<length).map { index in
            let bits = min(max(prefix - index * 8, 0), 8)
            return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bits))
        }
    }

    /// The set key type this value fits, if it can be a set key.
    var keyType: NftKeyType? {
        switch self {
        case .ifname(let name): name.hasSuffix("*") ? nil : .ifname
        case .ether: .etherAddress
        case .ipv4: .ipv4Address
        case .ipv6: .ipv6Address
        case .etherType, .network, .nfproto, .byte, .uint16, .present, .set: nil
        }
    }

    public var description: String {
        switch self {
        case .ifname(let name): "\"\(name)\""
        case .ether(let mac): mac.description
        case .ipv4(let bytes): bytes.map(String.init).joined(separator: ".")
        case .ipv6(let bytes):
            stride(from: 0, to: bytes.count, by: 2).map { i in
                String(UInt16(bytes[i]) << 8 | UInt16(i + 1 < bytes.count ? bytes[i + 1] : 0), radix: 16)
            }.joined(separator: ":")
        case .etherType(let type): "0x" + String(type, radix: 16)
        case .network(let network): network.network.description
        case .nfproto(let family): family == .v4 ? "ipv4" : "ipv6"
        case .byte(let value): String(value)
        case .uint16(let value): String(value)
        case .present(let present): present ? "exists" : "missing"
        case .set(let name): "@\(name)"
        }
    }
}

/// A named set, or a verdict map (`map NAME { type KEY : verdict }`) when `isVerdictMap`.
public struct NftSet: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var keyType: NftKeyType
    /// Elements map to verdicts (`iifname vmap @name`).
    public var isVerdictMap: Bool
    public var comment: String?

    public init(name: String, keyType: NftKeyType, isVerdictMap: Bool = false, comment: String? = nil) {
        self.name = name
        self.keyType = keyType
        self.isVerdictMap = isVerdictMap
        self.comment = comment
    }

    public var description: String {
        isVerdictMap ? "map \(name) { type \(keyType) : verdict }" : "set \(name) { type \(keyType) }"
    }
}

/// One set element: a key, the verdict it maps to (verdict maps only) and an optional comment.
public struct NftElement: Hashable, Sendable, CustomStringConvertible {
    public var key: NftValue
    public var verdict: NftVerdict?
    public var comment: String?

    public init(_ key: NftValue, verdict: NftVerdict? = nil, comment: String? = nil) {
        self.key = key
        self.verdict = verdict
        self.comment = comment
    }

    public var description: String {
        key.description + (comment.map { " comment \"\($0)\"" } ?? "") + (verdict.map { " : \($0)" } ?? "")
    }
}

/// A value or name refused before anything was sent to the kernel.
struct NftInvalid: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }

    /// Why `name` cannot name a table, chain or set (`kind`), or nil: kernel names are 1-255 bytes
    /// without NUL (NFT_NAME_MAXLEN counts the NUL).
    init?(name: String, kind: String) {
        guard !(1...255).contains(name.utf8.count) || name.utf8.contains(0) else { return nil }
        reason = "\(kind) name \"\(name)\" must be 1-255 bytes without NUL"
    }
}
