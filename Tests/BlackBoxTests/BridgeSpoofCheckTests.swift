import Foundation
import Testing

/// (4) `macspoofchk` (conf/br-spoof-check.conflist) proven by traffic, and its nftables rules read
/// with `nft -j list ruleset` in the node netns.
extension BlackBox {
    @Suite struct BridgeSpoofCheck {
        static let gateway = "10.250.11.1"
        static let spoofed = "c2:00:00:00:5f:01"

        @Test(arguments: Implementation.enabled, BridgeSetup.ifnames)
        func changedMACIsDroppedAndRestoredMACPasses(_ impl: Implementation, _ ifname: String) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist")
            let node = setup.sandbox.node
            let pod1 = try setup.sandbox.pod("pod1"), pod2 = try setup.sandbox.pod("pod2")
            let id1 = PodIdentity.random(), id2 = PodIdentity.random()
            let ifname2 = IfName.kubevirt()

            let add1 = try setup.add(pod1, ifname, id1)
            try #require(add1.succeeded, "\(add1)")
            let add2 = try setup.add(pod2, ifname2, id2)
            try #require(add2.succeeded, "\(add2)")
            let pod1Result = BridgeResult(add1), pod2Result = BridgeResult(add2)
            let mac1 = try #require(pod1Result.podMAC), mac2 = try #require(pod2Result.podMAC)
            let address2 = try #require(pod2Result.address)
            let pod1Needles = [mac1, pod1Result.hostVeth ?? ""]
            let rules = try Nft.rules(in: node)
            #expect(try !setup.rules(mentioning: pod1Needles).isEmpty, "no rule for pod1: \(rules)")
            #expect(try !setup.rules(mentioning: [mac2]).isEmpty, "no rule for pod2")

            #expect(try Traffic.udpEcho(from: pod1, to: Self.gateway, in: node), "pod -> gateway with its own MAC")
            #expect(try Traffic.udpEcho(from: pod1, to: address2, in: pod2), "pod -> pod with its own MAC")

            // One-way datagrams (see Traffic.udpReaches; the control test below shows they pass
            // with a changed MAC when there is no spoof check).
            let pod1State = NetState(netns: pod1)
            try pod1State.setLink(ifname, "address", Self.spoofed)
            #expect(try !Traffic.udpReaches(from: pod1, to: Self.gateway, in: node), "spoofed MAC reached the gateway")
            #expect(try !Traffic.udpReaches(from: pod1, to: address2, in: pod2), "spoofed MAC reached the other pod")

            try pod1State.setLink(ifname, "address", mac1)
            #expect(try Traffic.udpReaches(from: pod1, to: Self.gateway, in: node), "restored MAC is blocked")
            #expect(try Traffic.udpEcho(from: pod1, to: address2, in: pod2), "restored MAC is blocked (pod -> pod)")

            let del1 = try setup.del(pod1, ifname, id1)
            #expect(del1.succeeded, "\(del1)")
            #expect(try setup.rules(mentioning: pod1Needles).isEmpty, "pod1's rules outlive its DEL")
            #expect(try !setup.rules(mentioning: [mac2]).isEmpty, "DEL of pod1 removed pod2's rules")
            #expect(try Traffic.udpEcho(from: pod2, to: Self.gateway, in: node), "pod2 still reaches the gateway")

            let del2 = try setup.del(pod2, ifname2, id2)
            #expect(del2.succeeded, "\(del2)")
            #expect(try Nft.rules(in: node) == [], "rules left after the last DEL")
            switch impl {
            case .ours:
                let chains = try Nft.chains(in: node)
                #expect(try Nft.tables(in: node) == [], "table left after the last pod: \(chains)")
            case .reference:
                // 1.1.1 leaves the table and its (now empty) base chain behind.
                #expect(try Nft.tables(in: node) == ["bridge nat"])
                #expect(try Nft.chains(in: node) == ["bridge nat PREROUTING"])
            }
        }

        /// Control: without `macspoofchk` the same MAC change still reaches the gateway one way, so
        /// the drop above is the spoof check's doing.
        @Test(arguments: Implementation.enabled)
        func withoutSpoofCheckAChangedMACPasses(_ impl: Implementation) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist") { $0["macspoofchk"] = false }
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, IfName.multus, identity)
            try #require(add.succeeded, "\(add)")
            #expect(try Traffic.udpEcho(from: pod, to: Self.gateway, in: setup.sandbox.node))
            try NetState(netns: pod).setLink(IfName.multus, "address", Self.spoofed)
            #expect(try Traffic.udpReaches(from: pod, to: Self.gateway, in: setup.sandbox.node))
            #expect(try Nft.rules(in: setup.sandbox.node) == [])
            #expect(try setup.del(pod, IfName.multus, identity).succeeded)
        }

        /// Ours-only: `ipspoofchk: true` also drops packets whose source IP is not the pod's own.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ipspoofchk is ours only"),
              arguments: BridgeSetup.ifnames)
        func ipSpoofCheck(_ ifname: String) throws {
            let setup = try BridgeSetup(.ours, "br-spoof-check.conflist") { $0["ipspoofchk"] = true }
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, ifname, identity)
            try #require(add.succeeded, "\(add)")
            let own = try #require(BridgeResult(add).address)

            #expect(try Traffic.udpEcho(from: pod, to: Self.gateway, in: setup.sandbox.node, source: own))
            try Shell.must(["ip", "-n", pod, "addr", "add", "10.250.11.200/32", "dev", ifname])
            #expect(try !Traffic.udpReaches(from: pod, to: Self.gateway, in: setup.sandbox.node, source: "10.250.11.200"),
                    "a foreign source address reached the gateway")
            #expect(try Traffic.udpEcho(from: pod, to: Self.gateway, in: setup.sandbox.node, source: own))

            #expect(try setup.del(pod, ifname, identity).succeeded)
            #expect(try Nft.tables(in: setup.sandbox.node) == [])
        }
    }
}
