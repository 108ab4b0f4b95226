import Foundation
@testable import Attach
@testable import Netlink
import Testing

/// The ICMPv6 / Neighbor Discovery fields of the IPv6 spoof check, encoded as `nft --debug=netlink`
/// (nftables 1.0.6) encodes the same matches, with the protocol checks a rule needs made once.
@Suite struct NftNDExpressionTests {
    let protocolKey = UInt32(1), l4proto = UInt32(16)  // NFT_META_PROTOCOL, NFT_META_L4PROTO
    let nh = UInt32(1), th = UInt32(2)  // NFT_PAYLOAD_NETWORK_HEADER, NFT_PAYLOAD_TRANSPORT_HEADER
    let equal = UInt32(0), notEqual = UInt32(1), greater = UInt32(4)
    var ip6: [NftExpr] { [.meta(key: protocolKey), .cmp(op: equal, data: [0x86, 0xdd])] }
    var icmpv6: [NftExpr] { ip6 + [.meta(key: l4proto), .cmp(op: equal, data: [58])] }

    @Test func icmpv6FieldsCarryTheirProtocolChecksOncePerRule() {
        // `icmpv6 type nd-neighbor-advert` (nft reads `ether type`; we read `meta protocol`, see NftField)
        #expect(NftRule([.icmpv6Type(136)], verdict: .drop).expressions == icmpv6 + [
            .payload(base: th, offset: 0, length: 1), .cmp(op: equal, data: [136]), .immediate(.drop),
        ])
        // `ip6 length > 32` = [ payload load 2b @ network header + 4 ] [ cmp gt reg 1 0x00002000 ]
        #expect(NftMatch.ipv6PayloadLength(greaterThan: 32).expressions == ip6 + [
            .payload(base: nh, offset: 4, length: 2), .cmp(op: greater, data: [0, 32]),
        ])
        // `icmpv6 type 136 @th,64,64 0xfe80000000000000 ip6 saddr fd00::a`: each check once.
        let target = NftMatch.ndTarget(in: SpoofCheck.linkLocal)
        let source = NftMatch.ipv6Source(IPAddress("fd00::a")!.bytes)
        #expect(NftRule([.icmpv6Type(136), target, source], verdict: .return).expressions == icmpv6 + [
            .payload(base: th, offset: 0, length: 1), .cmp(op: equal, data: [136]),
            .payload(base: th, offset: 8, length: 8), .cmp(op: equal, data: [0xfe, 0x80, 0, 0, 0, 0, 0, 0]),
            .payload(base: nh, offset: 8, length: 16), .cmp(op: equal, data: IPAddress("fd00::a")!.bytes),
            .immediate(.return),
        ])
        // First option: `@th,192,8 2 @th,208,48 != MAC`.
        let mac = MACAddress("02:00:00:00:00:01")!
        #expect(NftRule([.ndFirstOption(type: 2), .ndFirstOptionLinkLayer(mac, .notEqual)], verdict: .drop).expressions == icmpv6 + [
            .payload(base: th, offset: 24, length: 1), .cmp(op: equal, data: [2]),
            .payload(base: th, offset: 26, length: 6), .cmp(op: notEqual, data: mac.bytes), .immediate(.drop),
        ])
        // `meta l4proto != 58` has no dependency; in an ip6 table ICMPv6 fields need only the l4proto check.
        #expect(NftMatch.metaL4proto(58, .notEqual).expressions == [.meta(key: l4proto), .cmp(op: notEqual, data: [58])])
        #expect(NftMatch.icmpv6Type(134).expressions(in: .ip6) == [
            .meta(key: l4proto), .cmp(op: equal, data: [58]), .payload(base: th, offset: 0, length: 1), .cmp(op: equal, data: [134]),
        ])
    }

    @Test func onlyIntegersCanBeOrdered() {
        #expect(NftMatch(.ipv6Source, .greaterThan, .ipv6(IPAddress("fd00::a")!.bytes)).validate() != nil)
        #expect(NftMatch.ipv6PayloadLength(greaterThan: 32).validate() == nil)
        #expect(NftMatch.ndTarget(in: SpoofCheck.linkLocal).validate() == nil)
    }

    /// The fields added for issue 17, as `nft --debug=netlink` (1.0.6) prints the same matches:
    /// `exthdr frag exists`, `ip6 nexthdr != 58`, `icmpv6 type 133-137` as `> 132 < 138`, the `ff:fe` of a
    /// MAC-derived interface identifier, a set lookup, ARP behind `meta protocol arp`.
    @Test func fragmentsExtensionHeadersMACDerivedAddressesAndSetLookups() {
        let less = UInt32(2)
        // [ exthdr load ipv6 1b @ 44 + 0 present => reg 1 ] [ cmp eq reg 1 0x00000001 ]
        #expect(NftMatch.ipv6Fragment.expressions == ip6 + [.exthdrPresent(type: 44), .cmp(op: equal, data: [1])])
        #expect(NftMatch.ipv6Fragment.description == "exthdr frag exists")
        // [ payload load 1b @ network header + 6 => reg 1 ] [ cmp neq reg 1 0x0000003a ]
        #expect(NftMatch.ipv6NextHeader(58, .notEqual).expressions == ip6 + [.payload(base: nh, offset: 6, length: 1), .cmp(op: notEqual, data: [58])])
        #expect(NftRule(NftMatch.icmpv6Type(in: 133...137), verdict: .drop).expressions == icmpv6 + [
            .payload(base: th, offset: 0, length: 1), .cmp(op: greater, data: [132]),
            .payload(base: th, offset: 0, length: 1), .cmp(op: less, data: [138]), .immediate(.drop),
        ])
        // `@nh,152,16 != 0xfffe` and `@th,152,16 != 0xfffe`: bytes 11-12 of the source and of the target.
        #expect(NftMatch.sourceIsMACDerived(.notEqual).expressions == ip6 + [.payload(base: nh, offset: 19, length: 2), .cmp(op: notEqual, data: [0xff, 0xfe])])
        #expect(NftMatch.ndTargetIsMACDerived().expressions == icmpv6 + [.payload(base: th, offset: 19, length: 2), .cmp(op: equal, data: [0xff, 0xfe])])
        // `ip6 saddr @ipv6-of-br0` = [ payload load 16b @ network header + 8 ] [ lookup reg 1 set ipv6-of-br0 ]
        #expect(NftMatch.lookup(.ipv6Source, inSet: "ipv6-of-br0").expressions == ip6 + [
            .payload(base: nh, offset: 8, length: 16), .lookup(set: "ipv6-of-br0", verdictMap: false),
        ])
        #expect(NftMatch.lookup(.ipv6Source, inSet: "s").description == "ip6 saddr @s")
        #expect(NftMatch(.ipv6Source, .notEqual, .set("s")).validate() != nil, "only membership")
        // `arp saddr ip 10.0.0.1` behind `meta protocol arp`, which also sees ARP under one VLAN tag.
        #expect(NftMatch.arpSenderIPv4([10, 0, 0, 1]).expressions == [
            .meta(key: protocolKey), .cmp(op: equal, data: [0x08, 0x06]), .payload(base: nh, offset: 14, length: 4), .cmp(op: equal, data: [10, 0, 0, 1]),
        ])
        // The MAC-derived link-local address, as Linux makes it (U/L bit flipped, ff:fe in the middle).
        #expect(MACAddress("02:00:5e:10:20:30")!.linkLocalAddress == IPAddress("fe80::5eff:fe10:2030")!)
        #expect(MACAddress("52:54:00:12:34:56")!.linkLocalAddress == IPAddress("fe80::5054:ff:fe12:3456")!)
    }

    /// The per-pod chain ends in a drop once it checks addresses; its rules name the bridge's node-address
    /// sets, never another pod, so their number grows with the pod's own addresses only.
    @Test func theChainOfAPodDependsOnlyOnItsOwnAddresses() {
        let mac = MACAddress("02:00:00:00:00:01")!
        func rules(_ ipv4: [String], _ ipv6: [String], _ linkLocal: SpoofCheck.LinkLocal = .macDerived) -> [NftRule] {
            SpoofCheck.rules(.init(hostVeth: "veth1", mac: mac, bridge: "br0", ipv4: ipv4.map { IPAddress($0)!.bytes },
                                   ipv6: ipv6.map { IPAddress($0)!.bytes }, linkLocal: linkLocal, owner: "c/n"), counter: false)
        }
        #expect(rules([], []).count == 2, "MAC only")
        #expect(rules([], []).last == NftRule(verdict: .drop, comment: "spoofed"))
        let final = NftRule(verdict: .drop, comment: "not the pod's own IPv4, ARP or IPv6, or under more than one VLAN tag")
        let v4only = rules(["10.0.0.2"], [])
        #expect(v4only.last == final, "IPv6 and anything else of an IPv4-only pod meet the drop")
        #expect(v4only.contains(NftRule([.lookup(.ipv4Source, inSet: "ipv4-of-br0")], verdict: .drop, comment: "IPv4 from an address of the node")))
        #expect(!v4only.contains { $0.description.contains("ip6") })
        let v6only = rules([], ["fd00::2"])
        #expect(v6only.last == final)
        #expect(!v6only.contains { $0.description.contains("arp") || $0.description.contains("ip saddr") })
        #expect(v6only.contains(NftRule([.icmpv6Type(134)], verdict: .drop, comment: "router advertisement from a pod")))
        #expect(v6only.contains(NftRule([.metaL4proto(58), .ipv6Fragment], verdict: .drop, comment: "ICMPv6 in fragments")))
        #expect(v6only.contains(NftRule([.ipv6Source(mac.linkLocalAddress.bytes), .metaL4proto(58, .notEqual)], verdict: .return,
                                        comment: "pod IPv6")), "its MAC-derived link-local address")
        #expect(!v6only.contains { $0.matches.contains(.source(in: SpoofCheck.linkLocal)) }, "no other link-local by default")
        #expect(rules([], ["fd00::2"], .any).contains { $0.matches == [.source(in: SpoofCheck.linkLocal), .sourceIsMACDerived(.notEqual), .metaL4proto(58, .notEqual)] })
        #expect(rules(["10.0.0.2"], ["fd00::2", "fd00::3"]).count > rules(["10.0.0.2"], ["fd00::2"]).count)
        #expect(rules(["10.0.0.2"], ["fd00::2"], .any).allSatisfy { $0.validate() == nil })
    }
}
