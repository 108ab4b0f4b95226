import Attach
import Foundation
import Netlink
import Testing
import TestSupport

/// `Masquerade` proven by traffic between throwaway namespaces, by its cost at 200 pods and by its
/// transactions (atomic, idempotent).
@Suite(.serialized) struct MasqueradeTests {
    private func net(_ text: String) -> IPNetwork { IPNetwork(text)! }

    /// node: bridge br0 (gateway 10.77.0.1/24) with pods A (10.77.0.2) and B (10.77.0.3), a veth to
    /// "outside" (192.0.2.1 <-> 192.0.2.2; outside has no route back to 10.77.0.0/24), and a routed veth to
    /// pod C (10.77.0.99/32, inside A's subnet but reached through the node). ip_forward=1 in the node only.
    @Test func podTrafficLeavesAsTheNodeOnlyWhileInstalled() throws {
        try requireRootForNamespaces()
        let node = try ThrowawayNamespace("mnode"), outside = try ThrowawayNamespace("mout")
        let podA = try ThrowawayNamespace("ma"), podB = try ThrowawayNamespace("mb"), podC = try ThrowawayNamespace("mc")

        try node.ip("link", "add", "br0", "type", "bridge")
        try node.ip("addr", "add", "10.77.0.1/24", "dev", "br0")
        try node.ip("link", "set", "br0", "up")
        for (pod, port, address) in [(podA, "veth-a", "10.77.0.2/24"), (podB, "veth-b", "10.77.0.3/24")] {
            try node.ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", pod.name)
            try node.ip("link", "set", port, "master", "br0", "up")
            try pod.ip("addr", "add", address, "dev", "eth0")
            try pod.ip("link", "set", "eth0", "up")
            try pod.ip("route", "add", "default", "via", "10.77.0.1")
        }
        try node.ip("link", "add", "uplink", "type", "veth", "peer", "name", "eth0", "netns", outside.name)
        try node.ip("addr", "add", "192.0.2.1/24", "dev", "uplink")
        try node.ip("link", "set", "uplink", "up")
        try outside.ip("addr", "add", "192.0.2.2/24", "dev", "eth0")
        try outside.ip("link", "set", "eth0", "up")
        // Pod C: in A's subnet, but behind a routed veth (proxy ARP both ways), so A -> C crosses postrouting.
        try node.ip("link", "add", "veth-c", "type", "veth", "peer", "name", "eth0", "netns", podC.name)
        try node.ip("link", "set", "veth-c", "up")
        try node.ip("route", "add", "10.77.0.99/32", "dev", "veth-c")
        try node.sysctl("net.ipv4.conf.veth-c.proxy_arp", "1")
        try podC.ip("addr", "add", "10.77.0.99/32", "dev", "eth0")
        try podC.ip("link", "set", "eth0", "up")
        try podC.ip("route", "add", "default", "dev", "eth0")
        try podA.ip("route", "add", "10.77.0.99/32", "via", "10.77.0.1")
        try node.sysctl("net.ipv4.ip_forward", "1")

        let echoOutside = try PeerAddressEcho(in: outside), echoB = try PeerAddressEcho(in: podB)
        let echoC = try PeerAddressEcho(in: podC)
        defer { _ = (echoOutside, echoB, echoC) }

        // Before: outside cannot answer 10.77.0.2; pods reach each other with their own addresses.
        #expect(PeerAddressEcho.peerAddress(from: podA, to: "192.0.2.2", attempts: 1) == nil, "outside has no route back")
        #expect(PeerAddressEcho.peerAddress(from: podA, to: "10.77.0.3") == "10.77.0.2")
        #expect(PeerAddressEcho.peerAddress(from: podA, to: "10.77.0.99") == "10.77.0.2", "routed to C without NAT")

        let socket = try NftSocket(in: try NetNS(path: node.path))
        let attachment = Masquerade.Attachment(id: "veth-a", addresses: [net("10.77.0.2/24")], owner: "c1/eth0 (net1)")
        try Masquerade.install(attachment, on: socket)
        let text = (try? node.exec("/usr/sbin/nft", "list", "ruleset")) ?? ""
        #expect(try Masquerade.isInstalled(id: "veth-a", addresses: attachment.addresses, on: socket))

        #expect(PeerAddressEcho.peerAddress(from: podA, to: "192.0.2.2") == "192.0.2.1", "masqueraded to the uplink\n\(text)")
        #expect(PeerAddressEcho.peerAddress(from: podA, to: "10.77.0.3") == "10.77.0.2", "bridged pod traffic untouched")
        #expect(PeerAddressEcho.peerAddress(from: podA, to: "10.77.0.99") == "10.77.0.2",
                "routed traffic into the pod's own subnet is accepted, not masqueraded\n\(text)")
        #expect(PeerAddressEcho.peerAddress(from: podB, to: "192.0.2.2", attempts: 1) == nil, "B has no attachment: not masqueraded")

        try Masquerade.remove(id: "veth-a", addresses: attachment.addresses, on: socket)
        #expect(try !socket.tableExists(Masquerade.table), "the table goes with the last attachment")
        #expect(try !Masquerade.isInstalled(id: "veth-a", addresses: attachment.addresses, on: socket))
        #expect(PeerAddressEcho.peerAddress(from: podA, to: "192.0.2.2", attempts: 1) == nil, "no masquerade after remove")
        try Masquerade.remove(id: "veth-a", addresses: attachment.addresses, on: socket)

        // Control: with a subnet that leaves C out (10.77.0.0/26), A -> C is masqueraded (to an address of
        // the node), so the unmasqueraded answer above came from the subnet rule, not from a path NAT skips.
        try Masquerade.install(.init(id: "veth-a", addresses: [net("10.77.0.2/26")], owner: "c1/eth0 (net1)"), on: socket)
        let seenByC = PeerAddressEcho.peerAddress(from: podA, to: "10.77.0.99")
        #expect(seenByC != nil && seenByC != "10.77.0.2", "outside the pod subnet: masqueraded (C saw \(seenByC ?? "nothing"))")
        try Masquerade.remove(id: "veth-a", addresses: [net("10.77.0.2/26")], on: socket)
        #expect(try !socket.tableExists(Masquerade.table))
    }

    /// The ruleset as `nft` prints it: one table, the base chain's two vmap rules, the pod chain.
    @Test func rulesetHasTheReferencesShape() throws {
        try requireRootForNamespaces()
        let node = try ThrowawayNamespace("mshape")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        try Masquerade.install(.init(id: "veth1", addresses: [net("10.77.0.2/24"), net("fd00:77::2/64")],
                                     owner: "c1/eth0 (net1)"), on: socket)
        try Masquerade.install(.init(id: "veth2", addresses: [net("10.88.0.5/16")], owner: "c2/eth0 (net2)"), on: socket)
        let text = try node.exec("/usr/sbin/nft", "list", "ruleset")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let expected = """
            table inet swiftcni-nat {
            comment "swift-cni"
            map pods {
            type ipv4_addr : verdict
            comment "pod address -> its chain"
            elements = { 10.77.0.2 comment "c1/eth0 (net1)" : jump cni-masq-veth1, 10.88.0.5 comment "c2/eth0 (net2)" : jump cni-masq-veth2 }
            }
            map pods6 {
            type ipv6_addr : verdict
            comment "pod address -> its chain"
            elements = { fd00:77::2 comment "c1/eth0 (net1)" : jump cni-masq-veth1 }
            }
            chain postrouting {
            comment "masquerade of pod traffic"
            type nat hook postrouting priority srcnat; policy accept;
            ip saddr vmap @pods
            ip6 saddr vmap @pods6
            }
            chain cni-masq-veth1 {
            comment "pod c1/eth0 (net1)"
            ip daddr 10.77.0.0/24 accept comment "pod subnet"
            ip daddr 224.0.0.0/4 accept comment "multicast"
            ip6 daddr fd00:77::/64 accept comment "pod subnet"
            ip6 daddr ff00::/8 accept comment "multicast"
            masquerade comment "c1/eth0 (net1)"
            }
            chain cni-masq-veth2 {
            comment "pod c2/eth0 (net2)"
            ip daddr 10.88.0.0/16 accept comment "pod subnet"
            ip daddr 224.0.0.0/4 accept comment "multicast"
            masquerade comment "c2/eth0 (net2)"
            }
            }
            """.split(separator: "\n").map(String.init)
        #expect(lines.filter { !$0.isEmpty } == expected, "\(text)")

        try Masquerade.remove(id: "veth1", addresses: [], on: socket)  // found by its verdict, addresses not needed
        #expect(try socket.elements(ofSet: Masquerade.ipv6Map, in: Masquerade.table).isEmpty)
        #expect(try socket.chains(in: Masquerade.table).map(\.name).sorted() == ["cni-masq-veth2", "postrouting"])
        try Masquerade.remove(id: "veth2", addresses: [net("10.88.0.5/16")], on: socket)
        #expect(try !socket.tableExists(Masquerade.table))
    }

    @Test func installTwiceLeavesOneOfEverythingAndRemoveTwiceIsFine() throws {
        try requireRootForNamespaces()
        let node = try ThrowawayNamespace("midem")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        let a = Masquerade.Attachment(id: "va", addresses: [net("10.77.0.2/24"), net("10.77.0.2/24"), net("fd00::2/64")], owner: "c1/eth0")
        let b = Masquerade.Attachment(id: "vb", addresses: [net("10.77.0.3/24")], owner: "c2/eth0")
        try Masquerade.install(a, on: socket)
        try Masquerade.install(b, on: socket)
        let once = try node.exec("/usr/sbin/nft", "list", "ruleset")
        try Masquerade.install(a, on: socket)
        try Masquerade.install(b, on: socket)
        let twice = try node.exec("/usr/sbin/nft", "list", "ruleset")
        #expect(once == twice, "installing again changes nothing:\n\(twice)")
        #expect(twice.components(separatedBy: "ip saddr vmap @pods").count == 2, "one dispatch rule")
        #expect(twice.components(separatedBy: "masquerade comment \"c1/eth0\"").count == 2, "one masquerade rule per chain")

        try Masquerade.remove(id: "va", addresses: a.addresses, on: socket)
        try Masquerade.remove(id: "va", addresses: a.addresses, on: socket)
        #expect(try Masquerade.isInstalled(id: "vb", addresses: b.addresses, on: socket))
        #expect(try !Masquerade.isInstalled(id: "va", addresses: a.addresses, on: socket))
        try Masquerade.remove(id: "vb", addresses: b.addresses, on: socket)
        try Masquerade.remove(id: "vb", addresses: b.addresses, on: socket)
        #expect(try !socket.tableExists(Masquerade.table))
    }

    /// A pod address already held by another attachment refuses the whole transaction: the new chain is not
    /// created, the first attachment is untouched; CHECK sees drift when an element is gone.
    @Test func aClashingAddressFailsTheWholeInstall() throws {
        try requireRootForNamespaces()
        let node = try ThrowawayNamespace("matom")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        let a = Masquerade.Attachment(id: "va", addresses: [net("10.77.0.2/24")], owner: "c1/eth0")
        try Masquerade.install(a, on: socket)
        let before = try node.exec("/usr/sbin/nft", "list", "ruleset")

        let clash = Masquerade.Attachment(id: "vb", addresses: [net("10.77.0.9/24"), net("10.77.0.2/24")], owner: "c2/eth0")
        #expect { try Masquerade.install(clash, on: socket) } throws: { ($0 as? NetlinkError)?.errno == EEXIST }
        #expect(try !socket.chainExists(Masquerade.chainName("vb"), in: Masquerade.table))
        #expect(try node.exec("/usr/sbin/nft", "list", "ruleset") == before, "nothing of the failed batch applied")
        #expect(try Masquerade.isInstalled(id: "va", addresses: a.addresses, on: socket))
        #expect(try !Masquerade.isInstalled(id: "vb", addresses: clash.addresses, on: socket))

        // Bad input is refused before the kernel.
        #expect(throws: NetlinkError.self) { try Masquerade.install(.init(id: "vc", addresses: [], owner: "c3"), on: socket) }

        // Drift: the element vanished, the chain is still there.
        var drop = NftBatch()
        drop.deleteElements([.ipv4([10, 77, 0, 2])], fromSet: Masquerade.ipv4Map, in: Masquerade.table)
        try socket.commit(drop)
        #expect(try !Masquerade.isInstalled(id: "va", addresses: a.addresses, on: socket))
        try Masquerade.remove(id: "va", addresses: a.addresses, on: socket)
        #expect(try !socket.tableExists(Masquerade.table))
    }

    /// Setup cost stays flat: 200 attachments, one `install` (one transaction, under the lock) each.
    @Test func the200thAttachmentCostsAboutWhatTheFirstDid() throws {
        try requireRootForNamespaces()
        let node = try ThrowawayNamespace("mscale")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        let count = 200
        func median(_ values: ArraySlice<Double>) -> Double { values.sorted()[values.count / 2] }
        func ms(_ value: Double) -> String { String(format: "%.3f ms", value) }
        func timed(_ body: () throws -> Void) rethrows -> Double {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        }
        let attachments = (0..<count).map { index in
            Masquerade.Attachment(id: "veth\(index)", addresses: [net("10.\(100 + index / 250).\(index % 250).2/24"),
                                                                  net("fd00:\(String(index, radix: 16))::2/64")],
                                  owner: "c\(index)/eth0 (net1)")
        }
        var install: [Double] = []
        for attachment in attachments { install.append(try timed { try Masquerade.install(attachment, on: socket) }) }
        #expect(try socket.elements(ofSet: Masquerade.ipv4Map, in: Masquerade.table).count == count)
        #expect(try socket.elements(ofSet: Masquerade.ipv6Map, in: Masquerade.table).count == count)
        #expect(try socket.chains(in: Masquerade.table).count == count + 1)

        var remove: [Double] = []
        for attachment in attachments.reversed() {
            remove.append(try timed { try Masquerade.remove(id: attachment.id, addresses: attachment.addresses, on: socket) })
        }
        #expect(try !socket.tableExists(Masquerade.table))

        let first = median(install.prefix(30)), last = median(install.suffix(30))
        print("""
            masquerade, \(count) attachments (IPv4 + IPv6), one install each: first 30 median \(ms(first)), \
            last 30 median \(ms(last)), max \(ms(install.max()!)); remove at \(count) \(ms(median(remove.prefix(30)))), \
            at 30 \(ms(median(remove.suffix(30))))
            """)
        #expect(last < 3 * first + 0.5, "install \(ms(first)) -> \(ms(last))")
    }
}
