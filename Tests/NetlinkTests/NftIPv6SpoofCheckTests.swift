import Foundation
import Attach
import Netlink
import Testing
import TestSupport

/// `ipspoofchk` for IPv6 and Neighbor Discovery, proven by traffic (see `SpoofCheckLab`). Each check runs
/// once without A's rules, so the test shows that the frame does arrive when nothing drops it, then with them.
@Suite(.serialized) struct NftIPv6SpoofCheckTests {
    static let ownIPv6 = SpoofCheckLab.ownIPv6, peerIPv6 = SpoofCheckLab.peerIPv6
    typealias Lab = SpoofCheckLab

    @Test func ipv6SourcesAreThePodsOwnItsMACsLinkLocalOrUnspecified() throws {
        try requireRoot()
        let lab = try Lab()
        let ownLinkLocal = try lab.linkLocal(of: "eth0", in: lab.podA)
        #expect(ownLinkLocal == lab.macA.linkLocalAddress.description, "the kernel makes the MAC-derived link-local address")
        try lab.podA.ip("addr", "add", "fd00:99::99/128", "dev", "eth0", "nodad")
        try lab.podA.ip("addr", "add", "fe80::a:1/64", "dev", "eth0", "nodad")
        try lab.podB.ip("addr", "add", "fe80::b:1/64", "dev", "eth0", "nodad")
        #expect(try lab.udpReaches(from: "fd00:99::99", to: Self.peerIPv6), "without rules a foreign source passes")
        #expect(try lab.udpReaches(from: "fe80::a:1%eth0", to: "fe80::b:1%eth0"), "without rules link-local passes")
        #expect(try lab.udpReaches(from: "10.99.0.1", to: "10.99.0.2"), "without rules IPv4 passes")
        #expect(try lab.arpFromAReachesB(), "without rules ARP passes")

        try lab.protect(ipv6: [Self.ownIPv6])
        #expect(try lab.udpReaches(from: Self.ownIPv6, to: Self.peerIPv6), "the pod's own IPv6 source\n\(nftText(lab.node))")
        #expect(try !lab.udpReaches(from: "fd00:99::99", to: Self.peerIPv6), "a foreign IPv6 source")
        #expect(try lab.udpReaches(from: "\(ownLinkLocal)%eth0", to: "fe80::b:1%eth0"), "the link-local address made from its MAC")
        #expect(try !lab.udpReaches(from: "fe80::a:1%eth0", to: "fe80::b:1%eth0"), "another link-local source, by default")
        try lab.protect(ipv6: [Self.ownIPv6], linkLocal: .any)
        #expect(try lab.udpReaches(from: "fe80::a:1%eth0", to: "fe80::b:1%eth0"), "with `any`, a stable-privacy link-local source")
        try lab.protect(ipv6: [Self.ownIPv6])
        // An IPv6-only pod: IPv4 and ARP are dropped whole.
        #expect(try !lab.udpReaches(from: "10.99.0.1", to: "10.99.0.2"), "IPv4 of a pod without IPv4 in its result")
        #expect(try !lab.arpFromAReachesB(), "ARP of a pod without IPv4 in its result")

        // An IPv4-only pod: all IPv6 is dropped, link-local included.
        try lab.protect(ipv4: ["10.99.0.1"], ipv6: [])
        #expect(try lab.udpReaches(from: "10.99.0.1", to: "10.99.0.2"), "the pod's own IPv4")
        #expect(try !lab.udpReaches(from: Self.ownIPv6, to: Self.peerIPv6), "IPv6 of a pod without IPv6 in its result")
        #expect(try !lab.udpReaches(from: "fe80::a:1%eth0", to: "fe80::b:1%eth0"), "link-local of a pod without IPv6")
    }

    @Test func neighborDiscoveryFromThePodIsLimitedToItsOwnAddresses() throws {
        try requireRoot()
        let lab = try Lab()
        let mac = lab.macA.description, spoofed = "02:de:ad:be:ef:01", ownLinkLocal = lab.macA.linkLocalAddress.description
        // (frame, expected with the rules, what it is)
        let cases: [([String], Bool, String)] = [
            (["na", Self.ownIPv6, Self.ownIPv6, mac], true, "NA for its own address"),
            (["na", ownLinkLocal, ownLinkLocal, mac], true, "NA for the link-local address made from its MAC"),
            (["na", "fe80::a:2", "fe80::a:2", mac], false, "NA for another link-local address (by default)"),
            (["na", Self.ownIPv6, Self.peerIPv6, mac], false, "NA for the peer's address"),
            (["na", "fd00:99::99", Self.ownIPv6, mac], false, "NA from a foreign source"),
            (["na", Self.ownIPv6, Self.ownIPv6, spoofed], false, "NA with a foreign target link-layer address"),
            (["na", Self.ownIPv6, Self.ownIPv6, mac, "1"], false, "NA with a second option"),
            (["ns", Self.ownIPv6, Self.peerIPv6, mac], true, "NS for a neighbor"),
            (["ns", Self.ownIPv6, "fd00:99::b:1", spoofed], false, "NS with a foreign source link-layer address"),
            (["ns", "::", "fd00:99::a", "-", "1"], true, "DAD NS (with a nonce) for its own address"),
            (["ns", "::", "fd00:99::b", "-"], false, "DAD NS for the peer's address"),
            (["ra", "fe80::a:2", "::", mac], false, "router advertisement"),
        ]
        func arrived(_ seen: [[String: Any]], _ frame: [String]) -> Bool {
            let type = ["ra": 134, "ns": 135, "na": 136][frame[0]]!
            return seen.contains { packet in
                guard packet["type"] as? Int == type, packet["src"] as? String == frame[1] else { return false }
                if type == 134 { return true }
                let lladdr = frame.count > 3 && frame[3] != "-" ? frame[3] : nil
                return packet["target"] as? String == frame[2] && packet["lladdr"] as? String == lladdr
                    && (packet["length"] as? Int ?? 0) == 24 + (lladdr == nil ? 0 : 8) + 8 * Int(frame.count > 4 ? frame[4] : "0")!
            }
        }

        let open = try lab.seenByB(cases.map(\.0))
        for (frame, _, what) in cases {
            #expect(arrived(open, frame), "without rules B must see: \(what)\n\(open)")
        }
        try lab.protect(ipv4: ["10.99.0.1"], ipv6: [Self.ownIPv6])
        let checked = try lab.seenByB(cases.map(\.0))
        for (frame, expected, what) in cases {
            #expect(arrived(checked, frame) == expected, "\(what): \(expected ? "dropped" : "passed")\n\(nftText(lab.node))")
        }
        try lab.unprotect()
        #expect(arrived(try lab.seenByB([cases[2].0]), cases[2].0), "without A's chain the foreign NA passes again")
    }

    @Test func duplicateAddressDetectionWorksForThePodsOwnAddressesOnly() throws {
        try requireRoot()
        let lab = try Lab()
        #expect(try lab.addWithDAD(lab.podA, Self.peerIPv6) == ["dadfailed"],
                "without rules A's DAD for B's address finds B")
        try lab.podA.ip("addr", "del", "\(Self.peerIPv6)/64", "dev", "eth0")

        // `any`: other link-local addresses are A's to claim, as a stable-privacy guest does.
        try lab.protect(ipv6: [Self.ownIPv6], linkLocal: .any)
        // A's DAD NS for a link-local target passes: B, which has that address, answers.
        try lab.podB.ip("addr", "add", "fe80::b:9/64", "dev", "eth0", "nodad")
        #expect(try lab.addWithDAD(lab.podA, "fe80::b:9") == ["dadfailed"], "A's DAD NS (from ::) must reach B\n\(nftText(lab.node))")
        // A defends its own address: B's DAD NS reaches A and A's NA for its own address reaches B.
        #expect(try lab.addWithDAD(lab.podB, "fd00:99::a") == ["dadfailed"], "A's NA for its own address must reach B")
        try lab.podB.ip("addr", "del", "fd00:99::a/64", "dev", "eth0")
        // DAD against B's address is dropped: A does not see the duplicate.
        #expect(try lab.addWithDAD(lab.podA, Self.peerIPv6) == [], "A's DAD NS for B's address must be dropped")
        // An address of A's own goes from tentative to valid.
        try lab.podA.ip("addr", "del", "\(Self.ownIPv6)/64", "dev", "eth0")
        #expect(try lab.addWithDAD(lab.podA, Self.ownIPv6) == [])
    }
}
