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

    /// The per-pod chain: a family without addresses is one drop rule; the rule count grows with the
    /// pod's own addresses only.
    @Test func theChainOfAPodDependsOnlyOnItsOwnAddresses() {
        let mac = MACAddress("02:00:00:00:00:01")!
        func rules(_ ipv4: [String], _ ipv6: [String]) -> [NftRule] {
            SpoofCheck.rules(.init(hostVeth: "veth1", mac: mac, ipv4: ipv4.map { IPAddress($0)!.bytes },
                                   ipv6: ipv6.map { IPAddress($0)!.bytes }, owner: "c/n"), counter: false)
        }
        #expect(rules([], []).count == 2, "MAC only")
        let v4only = rules(["10.0.0.2"], [])
        #expect(v4only.last == NftRule([.metaProtocol(0x86dd)], verdict: .drop, comment: "IPv6: no IPv6 in the pod's result"))
        let v6only = rules([], ["fd00::2"])
        #expect(v6only.contains(NftRule([.metaProtocol(0x0806)], verdict: .drop, comment: "ARP: no IPv4 in the pod's result")))
        #expect(v6only.contains(NftRule([.metaProtocol(0x0800)], verdict: .drop, comment: "IPv4: no IPv4 in the pod's result")))
        #expect(v6only.last == NftRule([.metaProtocol(0x86dd)], verdict: .drop, comment: "IPv6: spoofed"))
        #expect(v6only.contains(NftRule([.icmpv6Type(134)], verdict: .drop, comment: "router advertisement from a pod")))
        #expect(rules(["10.0.0.2"], ["fd00::2", "fd00::3"]).count > rules(["10.0.0.2"], ["fd00::2"]).count)
        #expect(rules(["10.0.0.2"], ["fd00::2"]).allSatisfy { $0.validate() == nil })
    }
}
