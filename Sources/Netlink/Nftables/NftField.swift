internal import CNetlink

/// A packet field a rule can compare or look up in a set. Fields of ARP, IPv4 and IPv6 carry a protocol
/// check for the table's family (`meta protocol arp` / `ip` / `ip6` in the bridge and netdev families,
/// `meta nfproto ipv4` in inet, none in ip/ip6), which `nft list` hides, showing plain `arp saddr ether ...`,
/// `ip saddr ...`. `meta protocol` rather than nft's `ether type`: it names what follows a VLAN tag the
/// kernel took off the frame, so a frame with one tag is checked like an untagged one.
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
    /// `ip6 nexthdr`: the header right after the IPv6 header (58 when ICMPv6 follows with no extension
    /// header), network header offset 6, 1 byte.
    case ipv6NextHeader
    /// `@nh,152,16`: bytes 11-12 of the IPv6 source, `ff:fe` in a MAC-derived (modified EUI-64) interface
    /// identifier, network header offset 19, 2 bytes.
    case ipv6SourceIDMiddle
    /// `@th,152,16`: bytes 11-12 of an NS/NA's target address, transport header offset 19, 2 bytes.
    case ndTargetIDMiddle
    /// `exthdr frag`: whether the packet has an IPv6 Fragment header (any fragment, first or not), one
    /// byte 1 or 0 (`exthdr frag exists`).
    case ipv6FragmentHeader

    /// The protocol checks that must hold before the field means anything in a table of `family`: none
    /// where the family already implies the protocol (ip, ip6, arp). ICMPv6 fields check the IPv6 protocol
    /// the way the IPv6 address fields do, then `meta l4proto ipv6-icmp`.
    func dependencies(in family: NftFamily) -> [NftMatch] {
        switch self {
        case .arpSenderHardware, .arpSenderIPv4:
            return family == .arp ? [] : [NftMatch(.metaProtocol, .equal, .arpType)]
        case .ipv4Source, .ipv4Destination:
            switch family {
            case .ip: return []
            case .inet: return [NftMatch(.metaNfproto, .equal, .nfproto(.v4))]
            default: return [NftMatch(.metaProtocol, .equal, .ipv4Type)]
            }
        case .ipv6Source, .ipv6Destination, .ipv6PayloadLength, .ipv6NextHeader, .ipv6SourceIDMiddle, .ipv6FragmentHeader:
            switch family {
            case .ip6: return []
            case .inet: return [NftMatch(.metaNfproto, .equal, .nfproto(.v6))]
            default: return [NftMatch(.metaProtocol, .equal, .ipv6Type)]
            }
        case .icmpv6Type, .ndTarget, .ndFirstOptionType, .ndFirstOptionLinkLayer, .ndTargetIDMiddle:
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
        case .ipv6NextHeader: return .payload(base: nh, offset: 6, length: 1)
        case .ipv6SourceIDMiddle: return .payload(base: nh, offset: 19, length: 2)
        case .ndTargetIDMiddle: return .payload(base: th, offset: 19, length: 2)
        case .ipv6FragmentHeader: return .exthdrPresent(type: 44)
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
        case .ipv6NextHeader: "ip6 nexthdr"
        case .ipv6SourceIDMiddle: "@nh,152,16"
        case .ndTargetIDMiddle: "@th,152,16"
        case .ipv6FragmentHeader: "exthdr frag"
        }
    }
}

