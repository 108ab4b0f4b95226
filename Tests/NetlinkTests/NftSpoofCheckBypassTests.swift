import Foundation
import Attach
import Netlink
import Testing
import TestSupport

/// The ways around the spoof check of issue 17, each tried by traffic from pod A (crafted frames) and
/// counted on the node's bridge and on pod B: once without A's rules (every frame arrives), then with them.
@Suite(.serialized) struct NftSpoofCheckBypassTests {
    typealias Lab = SpoofCheckLab
    static let ownIPv4 = Lab.ownIPv4, peerIPv4 = Lab.peerIPv4, ownIPv6 = Lab.ownIPv6, peerIPv6 = Lab.peerIPv6
    static let spoofedIPv4 = "10.99.0.77", spoofedMAC = "02:de:ad:be:ef:01"

    /// A frame to send, what identifies it where it arrives, and whether it must arrive with the rules.
    struct Case {
        var frame: [String]
        var seenAs: [String: Any]
        var passes: Bool
        var what: String
    }

    /// Runs the cases without A's rules (all must arrive on the bridge and at B), then with `protect`.
    func check(_ lab: Lab, _ cases: [Case], protect: () throws -> Void) throws {
        let open = try lab.seen(cases.map(\.frame))
        for c in cases {
            #expect(contains(open.node, c.seenAs) && contains(open.podB, c.seenAs), "without rules: \(c.what)\n\(open)")
        }
        try protect()
        let checked = try lab.seen(cases.map(\.frame))
        for c in cases {
            #expect(contains(checked.node, c.seenAs) == c.passes, "the bridge, \(c.what): \(c.passes ? "dropped" : "passed")\n\(nftText(lab.node))")
            #expect(contains(checked.podB, c.seenAs) == c.passes, "pod B, \(c.what): \(c.passes ? "dropped" : "passed")")
        }
    }

    @Test func underIPSpoofCheckTwoVLANTagsAreDroppedAndOneIsCheckedInside() throws {
        try requireRoot()
        let lab = try Lab()
        let mac = lab.macA.description
        let adq = "tags=88a8.5,8100.6", qq = "tags=8100.5,8100.6", q = "tags=8100.5"
        func udp(_ source: String, _ words: String...) -> [String] { ["udp4", source, Self.peerIPv4, "-", "0"] + words }
        func arp(_ sender: String, _ words: String...) -> [String] { ["arp", sender, Self.peerIPv4, "-", "0"] + words }
        let cases = [
            Case(frame: udp(Self.ownIPv4, "mark=own"), seenAs: ["mark": "own"], passes: true, what: "own IPv4, untagged"),
            Case(frame: udp(Self.spoofedIPv4, "mark=spoofed"), seenAs: ["mark": "spoofed"], passes: false, what: "spoofed IPv4, untagged"),
            Case(frame: udp(Self.ownIPv4, q, "mark=q-own"), seenAs: ["mark": "q-own"], passes: true, what: "own IPv4 under one 802.1Q tag"),
            Case(frame: udp(Self.spoofedIPv4, q, "mark=q-spoofed"), seenAs: ["mark": "q-spoofed"], passes: false,
                 what: "spoofed IPv4 under one 802.1Q tag (checked inside)"),
            Case(frame: udp(Self.spoofedIPv4, "tags=88a8.5", "mark=ad-spoofed"), seenAs: ["mark": "ad-spoofed"], passes: false,
                 what: "spoofed IPv4 under one 802.1ad tag (checked inside)"),
            Case(frame: udp(Self.spoofedIPv4, adq, "mark=adq-spoofed"), seenAs: ["mark": "adq-spoofed"], passes: false,
                 what: "spoofed IPv4 under 802.1ad + 802.1Q (the issue's way around)"),
            Case(frame: udp(Self.ownIPv4, adq, "mark=adq-own"), seenAs: ["mark": "adq-own"], passes: false,
                 what: "own IPv4 under 802.1ad + 802.1Q (cannot be checked)"),
            Case(frame: udp(Self.ownIPv4, qq, "mark=qq-own"), seenAs: ["mark": "qq-own"], passes: false, what: "own IPv4 under 802.1Q in 802.1Q"),
            Case(frame: arp(Self.ownIPv4, q, "mark=q-arp"), seenAs: ["mark": "q-arp"], passes: true, what: "own ARP under one tag"),
            Case(frame: arp(Self.spoofedIPv4, q, "mark=q-arp-spoofed"), seenAs: ["mark": "q-arp-spoofed"], passes: false,
                 what: "spoofed ARP under one tag"),
            Case(frame: arp(Self.spoofedIPv4, qq, "mark=qq-arp"), seenAs: ["mark": "qq-arp"], passes: false, what: "spoofed ARP under 802.1Q in 802.1Q"),
            Case(frame: ["na", Self.ownIPv6, Self.peerIPv6, mac, "0", adq], seenAs: ["type": 136, "target": Self.peerIPv6, "tags": 1],
                 passes: false, what: "NA for B's address under 802.1ad + 802.1Q"),
            Case(frame: ["na", Self.ownIPv6, Self.ownIPv6, mac, "0", q], seenAs: ["type": 136, "target": Self.ownIPv6], passes: true,
                 what: "NA for its own address under one tag"),
            Case(frame: ["raw", "88b5", "-", "-", "0", "mark=ethertype"], seenAs: ["mark": "ethertype"], passes: false,
                 what: "another EtherType (0x88b5)"),
        ]
        try check(lab, cases) { try lab.protect(ipv4: [Self.ownIPv4], ipv6: [Self.ownIPv6]) }
    }

    @Test func macSpoofCheckAloneChecksTheOuterSourceMACOfAnyFrame() throws {
        try requireRoot()
        let lab = try Lab()
        let adq = "tags=88a8.5,8100.6"
        let cases = [
            Case(frame: ["udp4", Self.spoofedIPv4, Self.peerIPv4, "-", "0", adq, "mark=adq"], seenAs: ["mark": "adq"], passes: true,
                 what: "IPv4 under two tags from the pod's MAC (macspoofchk checks MACs only)"),
            Case(frame: ["raw", "88b5", "-", "-", "0", "mark=ethertype"], seenAs: ["mark": "ethertype"], passes: true,
                 what: "another EtherType from the pod's MAC"),
            Case(frame: ["udp4", Self.ownIPv4, Self.peerIPv4, "-", "0", adq, "smac=\(Self.spoofedMAC)", "mark=adq-mac"], seenAs: ["mark": "adq-mac"],
                 passes: false, what: "a frame under two tags from another MAC"),
            Case(frame: ["raw", "88b5", "-", "-", "0", "smac=\(Self.spoofedMAC)", "mark=ethertype-mac"], seenAs: ["mark": "ethertype-mac"],
                 passes: false, what: "another EtherType from another MAC"),
        ]
        try check(lab, cases) { try lab.protect(ipv6: []) }
    }

    /// No pod claims an address of the node (the bridge's: link-local, global, IPv4) or another pod's
    /// MAC-derived link-local address; by default its own link-local address is the one made from its MAC.
    @Test(arguments: SpoofCheck.LinkLocal.allCases)
    func linkLocalAndNodeAddressesCannotBeClaimed(_ mode: SpoofCheck.LinkLocal) throws {
        try requireRoot()
        let lab = try Lab()
        let mac = lab.macA.description
        try lab.node.ip("addr", "add", "fe80::5f:1/64", "dev", "br0", "nodad")  // a gateway's configured link-local
        try lab.node.ip("addr", "add", "fd00:99::1/64", "dev", "br0", "nodad")
        try lab.node.ip("addr", "add", "10.99.0.254/24", "dev", "br0")
        let own = lab.macA.linkLocalAddress.description, peer = try lab.linkLocal(of: "eth0", in: lab.podB)
        let bridge = try lab.linkLocal(of: "br0", in: lab.node)
        func na(_ address: String, _ label: String) -> Case {
            Case(frame: ["na", address, address, mac], seenAs: ["type": 136, "target": address, "src": address],
                 passes: false, what: "NA from and for \(address) (\(label))")
        }
        func dad(_ address: String, _ label: String) -> Case {
            Case(frame: ["ns", "::", address, "-"], seenAs: ["type": 135, "target": address, "src": "::"],
                 passes: false, what: "DAD NS for \(address) (\(label))")
        }
        var stable = na("fe80::1234:5678:9abc:def0", "a stable-privacy address")
        stable.passes = mode == .any
        var ownNA = na(own, "its own, from its MAC"), ownDAD = dad(own, "its own, from its MAC")
        ownNA.passes = true
        ownDAD.passes = true
        func ipv4(_ kind: String, _ source: String, _ passes: Bool, _ what: String) -> Case {
            Case(frame: [kind, source, Self.peerIPv4, "-", "0", "mark=\(kind)-\(source)"], seenAs: ["mark": "\(kind)-\(source)"],
                 passes: passes, what: what)
        }
        let cases = [
            ownNA, ownDAD, stable,
            na(peer, "pod B's, from its MAC"), na(bridge, "the bridge's, from its MAC"), na("fe80::5f:1", "the bridge's, configured"),
            na("fd00:99::1", "the bridge's global"), dad("fe80::5f:1", "the bridge's"), dad(peer, "pod B's"),
            ipv4("udp4", Self.ownIPv4, true, "IPv4 from its own address"),
            ipv4("udp4", "10.99.0.254", false, "IPv4 from the bridge's address, even when IPAM gave it to the pod"),
            ipv4("arp", "10.99.0.254", false, "ARP for the bridge's address, even when IPAM gave it to the pod"),
        ]
        try check(lab, cases) {
            try lab.protect(ipv4: [Self.ownIPv4, "10.99.0.254"], ipv6: [Self.ownIPv6, "fd00:99::1"], linkLocal: mode)
        }
    }

    @Test func fragmentedNDAndNDBehindAnExtensionHeaderAreDropped() throws {
        try requireRoot()
        let lab = try Lab()
        // Multicast snooping drops a fragment behind a Hop-by-Hop header itself (it takes it for MLD with a
        // bad checksum); a node may run without it, and the rule must hold there too.
        try lab.node.ip("link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
        let mac = lab.macA.description
        let cases = [
            Case(frame: ["na", Self.ownIPv6, Self.ownIPv6, mac], seenAs: ["type": 136, "target": Self.ownIPv6, "length": 32],
                 passes: true, what: "NA for its own address"),
            Case(frame: ["na", Self.ownIPv6, Self.ownIPv6, mac, "0", "hbh"], seenAs: ["type": 136, "target": Self.ownIPv6, "length": 40],
                 passes: false, what: "the same NA behind a Hop-by-Hop header"),
            Case(frame: ["na", Self.ownIPv6, Self.peerIPv6, mac, "0", "hbh"], seenAs: ["type": 136, "target": Self.peerIPv6, "length": 40],
                 passes: false, what: "NA for B's address behind a Hop-by-Hop header"),
            Case(frame: ["na", Self.ownIPv6, Self.ownIPv6, mac, "0", "frag=71"], seenAs: ["ident": 71, "fragment": 0],
                 passes: false, what: "first fragment of an NA for its own address"),
            Case(frame: ["na", Self.ownIPv6, Self.ownIPv6, mac, "0", "frag=72"], seenAs: ["ident": 72, "fragment": 16],
                 passes: false, what: "second fragment of an NA for its own address"),
            Case(frame: ["na", Self.ownIPv6, Self.peerIPv6, mac, "0", "hbh", "frag=73"], seenAs: ["ident": 73, "fragment": 0],
                 passes: false, what: "first fragment of an NA for B's address behind a Hop-by-Hop header"),
            Case(frame: ["udp6", Self.ownIPv6, Self.peerIPv6, "-", "0", "frag=74"], seenAs: ["ident": 74, "fragment": 16],
                 passes: true, what: "a later fragment of UDP from its own address"),
            Case(frame: ["udp6", Self.ownIPv6, Self.peerIPv6, "-", "0", "hbh", "mark=udp6-hbh"], seenAs: ["mark": "udp6-hbh"],
                 passes: true, what: "UDP from its own address behind a Hop-by-Hop header"),
        ]
        try check(lab, cases) { try lab.protect(ipv6: [Self.ownIPv6]) }
    }

    /// The node-address sets follow the node: a refresh reads the bridge, the interfaces it is given and
    /// those its sets already name; an interface that is gone leaves them.
    @Test func theNodeAddressSetsFollowTheInterfacesOfTheBridge() throws {
        try requireRoot()
        let lab = try Lab()
        let node = try RouteSocket(in: try NetNS(path: lab.node.path))
        try lab.node.ip("addr", "add", "10.99.0.254/24", "dev", "br0")
        try lab.node.ip("link", "add", "br0.vgw", "type", "veth", "peer", "name", "br0.vgp")  // stands for a VLAN gateway
        try lab.node.ip("addr", "add", "fd00:98::1/64", "dev", "br0.vgw", "nodad")
        func refresh(_ interfaces: [String]) throws -> Set<SpoofCheck.NodeAddress> {
            var batch = NftBatch()
            SpoofCheck.ensureBase(&batch)
            try SpoofCheck.refreshNodeAddresses(&batch, bridge: "br0", interfaces: interfaces, nft: lab.socket, node: node)
            try lab.socket.commit(batch)
            let names = SpoofCheck.nodeAddressSets(bridge: "br0")
            let elements = try [names.ipv4, names.ipv6].flatMap { try lab.socket.elements(ofSet: $0, in: spoofTable) }
            return Set(elements.compactMap { element -> SpoofCheck.NodeAddress? in
                switch element.key {
                case .ipv4(let bytes), .ipv6(let bytes): IPAddress(bytes: bytes).map { .init(interface: element.comment ?? "", address: $0) }
                default: nil
                }
            })
        }
        let bridge = Set(try node.addresses(of: "br0").map { SpoofCheck.NodeAddress(interface: "br0", address: $0.address) })
        #expect(bridge.contains(.init(interface: "br0", address: IPAddress("10.99.0.254")!)))
        #expect(try refresh([]) == bridge, "the bridge's own addresses")
        let gateway = SpoofCheck.NodeAddress(interface: "br0.vgw", address: IPAddress("fd00:98::1")!)
        #expect(try refresh(["br0.vgw"]).contains(gateway), "an interface the ADD names")
        #expect(try refresh([]).contains(gateway), "kept: the set names it")
        try lab.node.ip("link", "del", "br0.vgw")
        #expect(try refresh([]) == bridge, "gone with its interface")
    }
}
