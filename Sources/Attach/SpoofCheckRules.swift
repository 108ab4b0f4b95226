import Netlink

/// What a pod port's chain lets through.
///
/// MAC only (`macspoofchk`, or `ipspoofchk` without addresses): any frame whose Ethernet source is the pod's
/// MAC, whatever its EtherType and VLAN tags (the bridge learns only that outer source); nothing else.
///
/// With the pod's addresses, an allow list, ending in a drop: only the pod's own IPv4 and ARP (when it has
/// IPv4) and its own IPv6 with the ND it may send (when it has IPv6), untagged or under one 802.1Q or
/// 802.1ad tag (the kernel takes the outer tag off before the bridge's hook, and `meta protocol` names what
/// it carried, so the same checks read the inner headers). Everything else is dropped: any other
/// EtherType, and frames with two or more tags, whose IP, ARP or ND headers the checks cannot see.
extension SpoofCheck {
    static func rules(_ port: Port, counter: Bool) -> [NftRule] {
        guard port.checksIP else {
            return [NftRule([.etherSource(port.mac)], verdict: .return, comment: "pod MAC"),
                    NftRule(counter: counter, verdict: .drop, comment: "spoofed")]
        }
        let nodeSets = nodeAddressSets(bridge: port.bridge)
        return [NftRule([.etherSource(port.mac, .notEqual)], counter: counter, verdict: .drop, comment: "spoofed MAC")]
            + (port.ipv4.isEmpty ? [] : ipv4Rules(port, nodeSet: nodeSets.ipv4, counter: counter))
            + (port.ipv6.isEmpty ? [] : ipv6Rules(port, nodeSet: nodeSets.ipv6, counter: counter))
            + [NftRule(counter: counter, verdict: .drop,
                       comment: "not the pod's own IPv4, ARP or IPv6, or under more than one VLAN tag")]
    }

    /// ARP with the pod MAC as sender and IPv4 from one of its addresses, never from one of the node's.
    private static func ipv4Rules(_ port: Port, nodeSet: String, counter: Bool) -> [NftRule] {
        var rules = [
            NftRule([.arpSenderHardware(port.mac, .notEqual)], counter: counter, verdict: .drop, comment: "spoofed ARP MAC"),
            NftRule([.lookup(.arpSenderIPv4, inSet: nodeSet)], counter: counter, verdict: .drop, comment: "ARP for an address of the node"),
        ]
        rules += port.ipv4.map { NftRule([.arpSenderIPv4($0)], verdict: .return, comment: "pod ARP") }
        rules.append(NftRule([.lookup(.ipv4Source, inSet: nodeSet)], counter: counter, verdict: .drop, comment: "IPv4 from an address of the node"))
        rules += port.ipv4.map { NftRule([.ipv4Source($0)], verdict: .return, comment: "pod IPv4") }
        return rules
    }

    /// Link-local addresses, `fe80::/64`.
    public static let linkLocal = IPNetwork(address: IPAddress(bytes: [0xfe, 0x80] + [UInt8](repeating: 0, count: 14))!, prefixLength: 64)!

    /// The addresses a pod may send from and claim, each a list of matches on `source` (the IPv6 source) or
    /// `target` (an NS/NA's target): its own, the link-local made from its MAC, and with `linkLocal: any`
    /// every link-local address whose interface identifier is not MAC-derived (no `ff:fe` in its middle:
    /// another host's MAC-derived one, a pod's or the bridge's, stays out). The node's are dropped before.
    private static func allowed(_ port: Port, target: Bool) -> [[NftMatch]] {
        var own = port.ipv6
        if !own.contains(port.mac.linkLocalAddress.bytes) { own.append(port.mac.linkLocalAddress.bytes) }
        var allowed = own.map { [target ? NftMatch.ndTarget($0) : .ipv6Source($0)] }
        if port.linkLocal == .any {
            allowed.append(target ? [.ndTarget(in: linkLocal), .ndTargetIsMACDerived(.notEqual)]
                                  : [.source(in: linkLocal), .sourceIsMACDerived(.notEqual)])
        }
        return allowed
    }

    /// IPv6 and Neighbor Discovery, in this order (the first rule that decides wins):
    /// 1. a source that is one of the node's addresses: drop;
    /// 2. an allowed source, not ICMPv6: return (the fast path of data traffic; a packet whose upper layer
    ///    the kernel cannot find, such as a later fragment behind an extension header, goes on to the drop);
    /// 3. ICMPv6 in fragments (first or later): drop, since ND must not be fragmented (RFC 6980) and a
    ///    fragment's ICMPv6 type may be in another fragment;
    /// 4. ND (types 133-137) behind an extension header: drop, so ND is always read where it starts;
    /// 5. Router Advertisement and Redirect: drop (a pod is never the router);
    /// 6. NS or NA longer than 32 bytes (more than one option): drop, so the first option is the only one;
    /// 7. NS/NA whose first option is a source/target link-layer address other than the pod MAC: drop;
    /// 8. NA: return when its target and its source are each allowed and the target is not the node's;
    ///    any other NA: drop;
    /// 9. from `::` (DAD): NS for an allowed target that is not the node's and other ICMPv6 (MLD) return, an
    ///    NS for another target (DAD against someone else's address) is dropped;
    /// 10. other ICMPv6 (echo, MLD, RS, NS) from an allowed source: return. Anything else meets the drop.
    private static func ipv6Rules(_ port: Port, nodeSet: String, counter: Bool) -> [NftRule] {
        let (icmpv6, routerAdvert, ns, na, redirect): (UInt8, UInt8, UInt8, UInt8, UInt8) = (58, 134, 135, 136, 137)
        let sources = allowed(port, target: false), targets = allowed(port, target: true)
        let unspecified = NftMatch.ipv6Source([UInt8](repeating: 0, count: 16))
        let nodeTarget = NftMatch.lookup(.ndTarget, inSet: nodeSet)
        var rules = [NftRule([.lookup(.ipv6Source, inSet: nodeSet)], counter: counter, verdict: .drop, comment: "IPv6 from an address of the node")]
        rules += sources.map { NftRule($0 + [.metaL4proto(icmpv6, .notEqual)], verdict: .return, comment: "pod IPv6") }
        rules.append(NftRule([.metaL4proto(icmpv6), .ipv6Fragment], counter: counter, verdict: .drop, comment: "ICMPv6 in fragments"))
        rules.append(NftRule(NftMatch.icmpv6Type(in: 133...137) + [.ipv6NextHeader(icmpv6, .notEqual)], counter: counter,
                             verdict: .drop, comment: "ND behind an extension header"))
        rules.append(NftRule([.icmpv6Type(routerAdvert)], counter: counter, verdict: .drop, comment: "router advertisement from a pod"))
        rules.append(NftRule([.icmpv6Type(redirect)], counter: counter, verdict: .drop, comment: "redirect from a pod"))
        for type in [ns, na] {
            rules.append(NftRule([.icmpv6Type(type), .ipv6PayloadLength(greaterThan: 32)], counter: counter, verdict: .drop,
                                 comment: "ND with more than one option"))
        }
        rules.append(NftRule([.icmpv6Type(ns), .ndFirstOption(type: 1), .ndFirstOptionLinkLayer(port.mac, .notEqual)],
                             counter: counter, verdict: .drop, comment: "spoofed ND source link-layer address"))
        rules.append(NftRule([.icmpv6Type(na), .ndFirstOption(type: 2), .ndFirstOptionLinkLayer(port.mac, .notEqual)],
                             counter: counter, verdict: .drop, comment: "spoofed ND target link-layer address"))
        rules.append(NftRule([.icmpv6Type(na), nodeTarget], counter: counter, verdict: .drop, comment: "NA for an address of the node"))
        for target in targets {
            for source in sources {
                rules.append(NftRule([.icmpv6Type(na)] + target + source, verdict: .return, comment: "pod NA"))
            }
        }
        rules.append(NftRule([.icmpv6Type(na)], counter: counter, verdict: .drop, comment: "spoofed NA"))
        rules.append(NftRule([unspecified, .icmpv6Type(ns), nodeTarget], counter: counter, verdict: .drop,
                             comment: "DAD for an address of the node"))
        rules += targets.map { NftRule([unspecified, .icmpv6Type(ns)] + $0, verdict: .return, comment: "pod DAD") }
        rules.append(NftRule([unspecified, .icmpv6Type(ns)], counter: counter, verdict: .drop, comment: "DAD for a foreign address"))
        rules.append(NftRule([unspecified, .metaL4proto(icmpv6)], verdict: .return, comment: "ICMPv6 from ::"))
        rules += sources.map { NftRule($0 + [.metaL4proto(icmpv6)], verdict: .return, comment: "pod ICMPv6") }
        return rules
    }
}
