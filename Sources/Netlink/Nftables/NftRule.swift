internal import CNetlink

/// A packet field a rule can compare or look up in a set. Fields of ARP, IPv4 and IPv6 carry the
/// protocol check `nft` adds for the table's family (`ether type arp`; `meta protocol ip` in the bridge
/// and netdev families, `meta nfproto ipv4` in inet, none in ip/ip6), so `nft list` shows them as plain
/// `arp saddr ether ...`, `ip saddr ...`.
public enum NftField: Hashable, Sendable, CustomStringConvertible {
    /// `iifname`: the interface the packet came in on (a bridge port in the bridge family).
    case iifname
    /// `oifname`: the interface the packet leaves on.
    case oifname
    /// `ether saddr`: link-layer header offset 6, 6 bytes.
    case etherSource
    /// `ether daddr`: link-layer header offset 0, 6 bytes.
    case etherDestination
    /// `ether type`: link-layer header offset 12, 2 bytes.
    case etherType
    /// `meta protocol`: the EtherType the stack recorded for the packet.
    case metaProtocol
    /// `arp saddr ether`: the ARP sender hardware address (network header offset 8, 6 bytes).
    case arpSenderHardware
    /// `arp saddr ip`: the ARP sender protocol address (network header offset 14, 4 bytes).
    case arpSenderIPv4
    /// `ip saddr`: network header offset 12, 4 bytes.
    case ipv4Source
    /// `ip6 saddr`: network header offset 8, 16 bytes.
    case ipv6Source
    /// `ip daddr`: network header offset 16, 4 bytes.
    case ipv4Destination
    /// `ip6 daddr`: network header offset 24, 16 bytes.
    case ipv6Destination
    /// `meta nfproto`: the netfilter family of the packet (NFPROTO_IPV4, NFPROTO_IPV6), 1 byte.
    case metaNfproto
    /// `meta l4proto`: the transport protocol, found after any IPv6 extension headers, 1 byte.
    case metaL4proto
    /// `ip6 length`: the IPv6 payload length (extension headers included), network header offset 4, 2 bytes.
    case ipv6PayloadLength
    /// `icmpv6 type`: transport header offset 0, 1 byte.
    case icmpv6Type
    /// `icmpv6 taddr`: the target address of a Neighbor Solicitation or Advertisement, transport header
    /// offset 8, 16 bytes.
    case ndTarget
    /// `@th,192,8`: the type of an NS/NA's first option (1 source, 2 target link-layer address),
    /// transport header offset 24, 1 byte.
    case ndFirstOptionType
    /// `@th,208,48`: the Ethernet address a first link-layer address option carries, transport header
    /// offset 26, 6 bytes.
    case ndFirstOptionLinkLayer

    /// The protocol checks that must hold before the field means anything in a table of `family`,
    /// the ones `nft` adds: none where the family already implies the protocol (ip, ip6). ICMPv6 fields
    /// check the IPv6 protocol the way the IPv6 address fields do (`meta protocol ip6` in the bridge
    /// family, where `nft` reads `ether type`, which a VLAN tag held outside the frame would hide),
    /// then `meta l4proto ipv6-icmp`.
    func dependencies(in family: NftFamily) -> [NftMatch] {
        switch self {
        case .arpSenderHardware, .arpSenderIPv4:
            return [NftMatch(.etherType, .equal, .arpType)]
        case .ipv4Source, .ipv4Destination:
            switch family {
            case .ip: return []
            case .inet: return [NftMatch(.metaNfproto, .equal, .nfproto(.v4))]
            default: return [NftMatch(.metaProtocol, .equal, .ipv4Type)]
            }
        case .ipv6Source, .ipv6Destination, .ipv6PayloadLength:
            switch family {
            case .ip6: return []
            case .inet: return [NftMatch(.metaNfproto, .equal, .nfproto(.v6))]
            default: return [NftMatch(.metaProtocol, .equal, .ipv6Type)]
            }
        case .icmpv6Type, .ndTarget, .ndFirstOptionType, .ndFirstOptionLinkLayer:
            return NftField.ipv6Source.dependencies(in: family) + [NftMatch(.metaL4proto, .equal, .byte(58))]
        default:
            return []
        }
    }

    /// The bytes the field loads, for the network-address fields that a prefix can match.
    var addressLength: Int? {
        switch self {
        case .ipv4Source, .ipv4Destination: 4
        case .ipv6Source, .ipv6Destination, .ndTarget: 16
        default: nil
        }
    }

    /// The expression that loads the field into register 1.
    var load: NftExpr {
        let ll = NFT_PAYLOAD_LL_HEADER.rawValue, nh = NFT_PAYLOAD_NETWORK_HEADER.rawValue
        let th = NFT_PAYLOAD_TRANSPORT_HEADER.rawValue
        switch self {
        case .iifname: return .meta(key: NFT_META_IIFNAME.rawValue)
        case .oifname: return .meta(key: NFT_META_OIFNAME.rawValue)
        case .metaProtocol: return .meta(key: NFT_META_PROTOCOL.rawValue)
        case .metaNfproto: return .meta(key: NFT_META_NFPROTO.rawValue)
        case .etherSource: return .payload(base: ll, offset: 6, length: 6)
        case .etherDestination: return .payload(base: ll, offset: 0, length: 6)
        case .etherType: return .payload(base: ll, offset: 12, length: 2)
        case .arpSenderHardware: return .payload(base: nh, offset: 8, length: 6)
        case .arpSenderIPv4: return .payload(base: nh, offset: 14, length: 4)
        case .ipv4Source: return .payload(base: nh, offset: 12, length: 4)
        case .ipv6Source: return .payload(base: nh, offset: 8, length: 16)
        case .ipv4Destination: return .payload(base: nh, offset: 16, length: 4)
        case .ipv6Destination: return .payload(base: nh, offset: 24, length: 16)
        case .metaL4proto: return .meta(key: NFT_META_L4PROTO.rawValue)
        case .ipv6PayloadLength: return .payload(base: nh, offset: 4, length: 2)
        case .icmpv6Type: return .payload(base: th, offset: 0, length: 1)
        case .ndTarget: return .payload(base: th, offset: 8, length: 16)
        case .ndFirstOptionType: return .payload(base: th, offset: 24, length: 1)
        case .ndFirstOptionLinkLayer: return .payload(base: th, offset: 26, length: 6)
        }
    }

    /// The expressions that put the field in register 1 in a table of `family`, protocol checks first.
    func loadExpressions(in family: NftFamily) -> [NftExpr] {
        dependencies(in: family).flatMap { $0.expressions(in: family) } + [load]
    }

    public var description: String {
        switch self {
        case .iifname: "iifname"
        case .oifname: "oifname"
        case .etherSource: "ether saddr"
        case .etherDestination: "ether daddr"
        case .etherType: "ether type"
        case .metaProtocol: "meta protocol"
        case .arpSenderHardware: "arp saddr ether"
        case .arpSenderIPv4: "arp saddr ip"
        case .ipv4Source: "ip saddr"
        case .ipv6Source: "ip6 saddr"
        case .ipv4Destination: "ip daddr"
        case .ipv6Destination: "ip6 daddr"
        case .metaNfproto: "meta nfproto"
        case .metaL4proto: "meta l4proto"
        case .ipv6PayloadLength: "ip6 length"
        case .icmpv6Type: "icmpv6 type"
        case .ndTarget: "icmpv6 taddr"
        case .ndFirstOptionType: "@th,192,8"
        case .ndFirstOptionLinkLayer: "@th,208,48"
        }
    }
}

/// `==`, `!=` or `>` (the last compares big-endian integers, as the kernel's memcmp does).
public enum NftComparison: Hashable, Sendable {
    case equal, notEqual, greaterThan

    var op: UInt32 {
        switch self {
        case .equal: NFT_CMP_EQ.rawValue
        case .notEqual: NFT_CMP_NEQ.rawValue
        case .greaterThan: NFT_CMP_GT.rawValue
        }
    }

    var symbol: String {
        switch self {
        case .equal: ""
        case .notEqual: "!= "
        case .greaterThan: "> "
        }
    }
}

/// One condition of a rule: a field compared with a value (`ether saddr 02:00:00:00:00:01`).
public struct NftMatch: Hashable, Sendable, CustomStringConvertible {
    public var field: NftField
    public var comparison: NftComparison
    public var value: NftValue

    public init(_ field: NftField, _ comparison: NftComparison = .equal, _ value: NftValue) {
        self.field = field
        self.comparison = comparison
        self.value = value
    }

    /// `iifname "name"` (a trailing `*` matches a prefix).
    public static func iifname(_ name: String, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.iifname, comparison, .ifname(name))
    }
    /// `oifname "name"`.
    public static func oifname(_ name: String, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.oifname, comparison, .ifname(name))
    }
    /// `ether saddr MAC`.
    public static func etherSource(_ mac: MACAddress, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.etherSource, comparison, .ether(mac))
    }
    /// `ether type TYPE` (0x0806 ARP, ...), read from the frame header.
    public static func etherType(_ type: UInt16, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.etherType, comparison, .etherType(type))
    }
    /// `meta protocol TYPE`.
    public static func metaProtocol(_ type: UInt16, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.metaProtocol, comparison, .etherType(type))
    }
    /// `arp saddr ether MAC`: ARP packets whose sender hardware address is (not) `mac`.
    public static func arpSenderHardware(_ mac: MACAddress, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.arpSenderHardware, comparison, .ether(mac))
    }
    /// `arp saddr ip ADDRESS` (4 bytes, network order).
    public static func arpSenderIPv4(_ address: [UInt8], _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.arpSenderIPv4, comparison, .ipv4(address))
    }
    /// `ip saddr ADDRESS` (4 bytes, network order).
    public static func ipv4Source(_ address: [UInt8], _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ipv4Source, comparison, .ipv4(address))
    }
    /// `ip6 saddr ADDRESS` (16 bytes, network order).
    public static func ipv6Source(_ address: [UInt8], _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ipv6Source, comparison, .ipv6(address))
    }
    /// `meta l4proto PROTOCOL` (58 ICMPv6, 6 TCP, 17 UDP).
    public static func metaL4proto(_ protocolNumber: UInt8, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.metaL4proto, comparison, .byte(protocolNumber))
    }
    /// `ip6 length > BYTES`: the IPv6 payload is longer than `bytes`.
    public static func ipv6PayloadLength(greaterThan bytes: UInt16) -> NftMatch {
        NftMatch(.ipv6PayloadLength, .greaterThan, .uint16(bytes))
    }
    /// `icmpv6 type TYPE` (133 RS, 134 RA, 135 NS, 136 NA, 137 redirect).
    public static func icmpv6Type(_ type: UInt8, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.icmpv6Type, comparison, .byte(type))
    }
    /// `icmpv6 taddr ADDRESS` (16 bytes): the target of an NS or NA.
    public static func ndTarget(_ address: [UInt8], _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ndTarget, comparison, .ipv6(address))
    }
    /// `icmpv6 taddr NETWORK/PREFIX`.
    public static func ndTarget(in network: IPNetwork, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ndTarget, comparison, .network(network))
    }
    /// The first option of an NS/NA is of `type` (1 source, 2 target link-layer address).
    public static func ndFirstOption(type: UInt8) -> NftMatch {
        NftMatch(.ndFirstOptionType, .equal, .byte(type))
    }
    /// The Ethernet address of the first (link-layer address) option of an NS/NA is (not) `mac`.
    public static func ndFirstOptionLinkLayer(_ mac: MACAddress, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(.ndFirstOptionLinkLayer, comparison, .ether(mac))
    }
    /// `ip saddr NETWORK/PREFIX` or `ip6 saddr NETWORK/PREFIX`, by the network's family (host bits ignored).
    public static func source(in network: IPNetwork, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(network.family == .v4 ? .ipv4Source : .ipv6Source, comparison, .network(network))
    }
    /// `ip daddr NETWORK/PREFIX` or `ip6 daddr NETWORK/PREFIX`, by the network's family (host bits ignored).
    public static func destination(in network: IPNetwork, _ comparison: NftComparison = .equal) -> NftMatch {
        NftMatch(network.family == .v4 ? .ipv4Destination : .ipv6Destination, comparison, .network(network))
    }

    /// The match as a table of the bridge family encodes it (protocol checks by `meta protocol`).
    var expressions: [NftExpr] { expressions(in: .bridge) }

    /// Load, then compare; a prefix pattern compares only the bytes before the `*`. A network compares
    /// the way `nft` encodes `ip daddr 10.0.0.0/8`: a byte-aligned prefix loads only its bytes
    /// (`payload load 1b`, `cmp eq 0x0a`), any other masks the whole field first (`bitwise & 0xf0000000`).
    func expressions(in family: NftFamily) -> [NftExpr] {
        var checked = Set<NftMatch>()
        return expressions(in: family, checked: &checked)
    }

    /// As `expressions(in:)`, leaving out the protocol checks already in `checked` (an earlier match of
    /// the same rule made them), as `nft` does.
    func expressions(in family: NftFamily, checked: inout Set<NftMatch>) -> [NftExpr] {
        let op = comparison.op
        var dependency: [NftExpr] = []
        for check in field.dependencies(in: family) where checked.insert(check).inserted {
            dependency += check.expressions(in: family)
        }
        checked.insert(self)
        let data = (try? value.bytes().get()) ?? []
        guard case .network(let network) = value, case .payload(let base, let offset, let length) = field.load,
              network.prefixLength < data.count * 8 else {
            return dependency + [field.load, .cmp(op: op, data: data)]
        }
        let prefix = network.prefixLength
        if prefix == 0 { return dependency }  // every address of the family (`!=` is refused by validate)
        if prefix % 8 == 0 {
            return dependency + [.payload(base: base, offset: offset, length: UInt32(prefix / 8)),
                                 .cmp(op: op, data: Array(data.prefix(prefix / 8)))]
        }
        let mask = NftValue.mask(prefix: prefix, length: Int(length))
        return dependency + [field.load, .bitwise(mask: mask, xor: [UInt8](repeating: 0, count: mask.count)),
                             .cmp(op: op, data: data)]
    }

    /// Why the match cannot be encoded, or nil.
    func validate() -> NftInvalid? {
        if case .failure(let invalid) = value.bytes() { return invalid }
        if comparison == .greaterThan, let invalid = validateOrder() { return invalid }
        guard case .network(let network) = value else { return nil }
        guard field.addressLength == network.address.bytes.count else {
            return NftInvalid("\(field) cannot be compared with the network \(network.network)")
        }
        if network.prefixLength == 0 && comparison == .notEqual {
            return NftInvalid("\(field) != \(network.network) never holds")
        }
        return nil
    }

    /// `>` compares integers only.
    private func validateOrder() -> NftInvalid? {
        switch value {
        case .byte, .uint16, .etherType: nil
        default: NftInvalid("\(field) > \(value): only integers can be ordered")
        }
    }

    public var description: String { "\(field) \(comparison.symbol)\(value)" }
}

/// What a rule does after its matches hold.
public enum NftStatement: Hashable, Sendable, CustomStringConvertible {
    case verdict(NftVerdict)
    /// `FIELD vmap @map`: look the field up in a verdict map and apply the element's verdict;
    /// no element, no verdict (the next rule runs).
    case verdictMap(NftField, map: String)
    /// `masquerade`: source NAT to the address of the interface the packet leaves on (nftnl "masq").
    /// Only in chains reached from a `nat` base chain at postrouting (or output); ends evaluation.
    case masquerade

    public var description: String {
        switch self {
        case .verdict(let verdict): verdict.description
        case .verdictMap(let field, let map): "\(field) vmap @\(map)"
        case .masquerade: "masquerade"
        }
    }
}

/// A rule: every match must hold, then the optional counter counts and the statement runs.
public struct NftRule: Hashable, Sendable, CustomStringConvertible {
    public var matches: [NftMatch]
    public var counter: Bool
    public var statement: NftStatement?
    /// Shown by `nft list` as `comment "..."` (at most 128 bytes, as nft allows).
    public var comment: String?

    /// `MATCHES [counter] [STATEMENT] [comment "..."]`.
    public init(_ matches: [NftMatch] = [], counter: Bool = false, statement: NftStatement?, comment: String? = nil) {
        self.matches = matches
        self.counter = counter
        self.statement = statement
        self.comment = comment
    }

    /// `MATCHES [counter] VERDICT [comment "..."]`.
    public init(_ matches: [NftMatch] = [], counter: Bool = false, verdict: NftVerdict, comment: String? = nil) {
        self.init(matches, counter: counter, statement: .verdict(verdict), comment: comment)
    }

    /// `[MATCHES] FIELD vmap @map`: the element for the packet's field decides.
    public static func verdictMap(_ field: NftField, map: String, after matches: [NftMatch] = [],
                                  comment: String? = nil) -> NftRule {
        NftRule(matches, statement: .verdictMap(field, map: map), comment: comment)
    }

    /// The expressions the kernel runs, in order, in a table of the bridge family.
    var expressions: [NftExpr] { expressions(in: .bridge) }

    /// The expressions the kernel runs, in order, in a table of `family`.
    func expressions(in family: NftFamily) -> [NftExpr] {
        var checked = Set<NftMatch>()
        var result = matches.flatMap { $0.expressions(in: family, checked: &checked) }
        if counter { result.append(.counter) }
        switch statement {
        case .verdict(let verdict): result.append(.immediate(verdict))
        case .verdictMap(let field, let map): result += field.loadExpressions(in: family) + [.lookup(set: map, verdictMap: true)]
        case .masquerade: result.append(.masquerade)
        case nil: break
        }
        return result
    }

    /// The first value that cannot be encoded, if any.
    func validate() -> NftInvalid? {
        for match in matches {
            if let invalid = match.validate() { return invalid }
        }
        if let comment, let invalid = NftUserdata.validateComment(comment) { return invalid }
        return nil
    }

    public var description: String {
        (matches.map(\.description) + (counter ? ["counter"] : []) + [statement?.description].compactMap { $0 }
            + [comment.map { "comment \"\($0)\"" }].compactMap { $0 }).joined(separator: " ")
    }
}

/// One kernel expression, always working on register 1 (16 bytes) or the verdict register.
enum NftExpr: Hashable, Sendable {
    case meta(key: UInt32)
    case payload(base: UInt32, offset: UInt32, length: UInt32)
    case cmp(op: UInt32, data: [UInt8])
    case lookup(set: String, verdictMap: Bool)
    case immediate(NftVerdict)
    case counter
    /// `reg 1 = (reg 1 & mask) ^ xor`, over `mask.count` bytes.
    case bitwise(mask: [UInt8], xor: [UInt8])
    /// nftnl "masq", without flags or port registers.
    case masquerade
}
