import Foundation
import Testing

/// `layer2-overlay` on one node whose only peer is its own address, so no Geneve device is made: what runs on
/// any kernel (the host lane). The bridge, the pod ports, MTU rules, results in 1.1.0, IPAM, CHECK, DEL, GC and
/// STATUS. Tunnels and traffic between nodes: OverlayAcrossNodes (stock-kernel VM lane).
extension BlackBox {
    @Suite(.enabled(if: ReliabilityKnobs.oursEnabled, "layer2-overlay is ours only"))
    struct OverlaySingleNode {
        @Test(arguments: [IfName.multus, IfName.kubevirt()])
        func addCheckDelAndGCWithoutTunnels(_ ifname: String) throws {
            let cluster = try OverlayCluster(.ipv4, nodes: 1, peers: ["192.0.2.1"])
            let node = cluster.nodes[0]
            let baseline = try node.linkNames()
            #expect(baseline == ["eth0", "lo"])
            let pod1 = try node.sandbox.pod("pod1"), pod2 = try node.sandbox.pod("pod2")
            let id1 = PodIdentity.random(), id2 = PodIdentity.random()

            let add1 = try node.add(pod1, ifname, id1)
            try #require(add1.succeeded, "\(add1)")
            let result = BridgeResult(add1)
            try #require(result.interfaces.count == 3, "\(add1)")
            let bridge = try #require(result.interfaces[0]["name"] as? String)
            #expect(bridge.hasPrefix("l2o") && bridge.utf8.count == 15, "bridge name derived from name + vni: \(bridge)")
            #expect(result.interfaces[0]["sandbox"] == nil && result.interfaces[1]["sandbox"] == nil)
            #expect(result.interfaces[2]["name"] as? String == ifname)
            #expect(result.interfaces[2]["sandbox"] as? String == Sandbox.path(ofNamespace: pod1))
            #expect(result.ips.isEmpty, "L2 only without ipam: \(add1)")
            let hostVeth = try #require(result.hostVeth)

            // Underlay MTU 1500 - 50 on the bridge and both veth ends; no tunnel to this node itself.
            #expect(try node.tunnels() == [])
            #expect(try node.state.link(bridge)?.mtu == 1450)
            #expect(try node.state.ports(of: bridge) == [hostVeth])
            #expect(try node.state.link(hostVeth)?.mtu == 1450)
            #expect(try node.state.bridgePort(hostVeth)?["isolated"] as? Bool == false, "pod ports are not isolated")
            let podLink = try #require(try NetState(netns: pod1).link(ifname))
            #expect(podLink.mtu == 1450 && podLink.mac == result.podMAC)
            #expect(try !Nft.rules(in: node.netns, mentioning: [result.podMAC ?? "-"]).isEmpty, "macspoofchk rules")
            let check1 = try node.check(pod1, ifname, id1)
            #expect(check1.succeeded, "\(check1)")

            // A second pod, with the MAC the runtime asks for; both talk over the bridge.
            let add2 = try node.add(pod2, IfName.multus, id2, capArgs: ["mac": "c2:00:00:00:42:01"])
            try #require(add2.succeeded, "\(add2)")
            #expect(try NetState(netns: pod2).link(IfName.multus)?.mac == "c2:00:00:00:42:01")
            try Shell.must(["ip", "-n", pod1, "addr", "add", "10.42.0.1/24", "dev", ifname])
            try Shell.must(["ip", "-n", pod2, "addr", "add", "10.42.0.2/24", "dev", IfName.multus])
            #expect(try Traffic.udpEcho(from: pod1, to: "10.42.0.2", in: pod2))

            // CHECK reports drift: the pod's MTU changed.
            try NetState(netns: pod1).setLink(ifname, "mtu", "1400")
            let drifted = try node.check(pod1, ifname, id1)
            #expect(!drifted.succeeded && drifted.errorMessage?.contains("MTU is 1400") == true, "\(drifted)")
            try NetState(netns: pod1).setLink(ifname, "mtu", "1450")

            // GC keeping pod2: pod1's veth, rules and record go, the bridge stays for pod2.
            let gc1 = try node.gc(keeping: [Attachment(netns: pod2, ifname: IfName.multus, pod: id2)])
            #expect(gc1.succeeded, "\(gc1)")
            #expect(try NetState(netns: pod1).link(ifname) == nil && node.state.link(hostVeth) == nil)
            #expect(try Nft.rules(in: node.netns, mentioning: [result.podMAC ?? "-"]).isEmpty)
            #expect(node.recordFiles().count == 1)
            #expect(try node.state.link(bridge) != nil, "GC removed the bridge of a valid attachment")
            let check2 = try node.check(pod2, IfName.multus, id2)
            #expect(check2.succeeded, "\(check2)")

            // DEL leaves the shared bridge; a repeated DEL succeeds; GC with nothing valid removes the bridge.
            for _ in 1...2 {
                let del = try node.del(pod2, IfName.multus, id2)
                #expect(del.succeeded, "\(del)")
            }
            #expect(try node.state.link(bridge) != nil, "DEL removes only the pod's port")
            #expect(try node.state.ports(of: bridge) == [])
            let gc2 = try node.gc()
            #expect(gc2.succeeded, "\(gc2)")
            #expect(try node.linkNames() == baseline)
            #expect(try Nft.tables(in: node.netns) == [])
            #expect(node.recordFiles() == [])
        }

        struct MTUCase: Sendable, CustomTestStringConvertible {
            let family: UnderlayFamily
            let underlayMTU: Int
            let configured: Int
            let expected: Int
            var testDescription: String { "\(family) underlay \(underlayMTU), mtu \(configured) -> \(expected)" }
        }

        /// The MTU rule (0: underlay - 50 over IPv4, - 70 over IPv6; else as configured) on the bridge, both
        /// veth ends and in a 1.1.0 result, which carries `mtu` on every interface; a custom MAC from
        /// runtimeConfig.
        @Test(arguments: [MTUCase(family: .ipv4, underlayMTU: 1500, configured: 0, expected: 1450),
                          MTUCase(family: .ipv6, underlayMTU: 1500, configured: 0, expected: 1430),
                          MTUCase(family: .ipv4, underlayMTU: 9000, configured: 0, expected: 8950),
                          MTUCase(family: .ipv4, underlayMTU: 1500, configured: 1400, expected: 1400)])
        func mtuRuleAndResultIn110(_ mtuCase: MTUCase) throws {
            let cluster = try OverlayCluster(mtuCase.family, nodes: 1, underlayMTU: mtuCase.underlayMTU) {
                $0["mtu"] = mtuCase.configured
                $0["peers"] = [mtuCase.family.address(1)]
            }
            let node = cluster.nodes[0]
            let pod = try node.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try node.exec("ADD", pod: pod, ifname: IfName.multus, identity: identity,
                                    extra: ["cniVersion": "1.1.0", "runtimeConfig": ["mac": "c2:00:00:00:42:02"]])
            try #require(add.succeeded, "\(add)")
            #expect(add.json?["cniVersion"] as? String == "1.1.0")
            let interfaces = add.json?["interfaces"] as? [[String: Any]] ?? []
            #expect(interfaces.count == 3 && interfaces.allSatisfy { $0["mtu"] as? Int == mtuCase.expected }, "\(add)")
            let bridge = try #require(interfaces.first?["name"] as? String)
            let hostVeth = try #require(interfaces.dropFirst().first?["name"] as? String)
            #expect(try node.state.link(bridge)?.mtu == mtuCase.expected)
            #expect(try node.state.link(hostVeth)?.mtu == mtuCase.expected)
            let podLink = try #require(try NetState(netns: pod).link(IfName.multus))
            #expect(podLink.mtu == mtuCase.expected && podLink.mac == "c2:00:00:00:42:02")
            #expect(interfaces.last?["mac"] as? String == "c2:00:00:00:42:02")
            let del = try node.exec("DEL", pod: pod, ifname: IfName.multus, identity: identity, extra: ["cniVersion": "1.1.0"])
            #expect(del.succeeded, "\(del)")
            #expect(try node.gc().succeeded)
            #expect(try node.linkNames() == ["eth0", "lo"])
        }

        /// `ipam` delegates as in bridge: the result lists the lease on the pod's interface, which has it; DEL
        /// releases it.
        @Test func ipamThroughHostLocal() throws {
            let cluster = try OverlayCluster(.ipv4, nodes: 1, peers: ["192.0.2.1"]) {
                $0["ipam"] = ["type": "host-local", "subnet": "10.42.1.0/24"]
            }
            let node = cluster.nodes[0]
            let pod = try node.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try node.add(pod, IfName.multus, identity)
            try #require(add.succeeded, "\(add)")
            let result = BridgeResult(add)
            let address = try #require(result.address)
            #expect(address.hasPrefix("10.42.1."))
            #expect(result.ips.first?["interface"] as? Int == 2)
            let addresses = try NetState(netns: pod).addresses().flatMap { $0["addr_info"] as? [[String: Any]] ?? [] }
            #expect(addresses.contains { $0["local"] as? String == address }, "\(addresses)")
            #expect(node.sandbox.hostLocalAllocations(network: node.network) == [address])
            #expect(try node.check(pod, IfName.multus, identity).succeeded)
            #expect(try node.del(pod, IfName.multus, identity).succeeded)
            #expect(node.sandbox.hostLocalAllocations(network: node.network) == [])
        }

        /// STATUS is ready with a peer and a route to it; no peer or no route is code 50 saying which. ADD
        /// without peers is code 7 naming `peers`, and makes nothing.
        @Test func statusNeedsPeersAndARoute() throws {
            let cluster = try OverlayCluster(.ipv4, nodes: 1, peers: ["192.0.2.1"])
            let node = cluster.nodes[0]
            let ready = try node.cni.status(network: node.network)
            #expect(ready.succeeded, "\(ready)")

            // The peersFile holds only a comment.
            for (peers, naming) in [([String](), "no peer configured"), (["198.51.100.7"], "no route to peer 198.51.100.7")] {
                try Fixtures.install(OverlayCluster.fixture, in: node.sandbox) { plugins in
                    plugins.edit("layer2-overlay") { $0["peers"] = peers; $0["peersFile"] = cluster.peersFile.lastPathComponent }
                }
                let status = try node.cni.status(network: node.network)
                #expect(status.errorCode == 50 && status.errorMessage?.contains(naming) == true, "\(status)")
            }
            try Fixtures.install(OverlayCluster.fixture, in: node.sandbox) { plugins in
                plugins.edit("layer2-overlay") { $0["peers"] = [String](); $0["peersFile"] = cluster.peersFile.lastPathComponent }
            }
            let pod = try node.sandbox.pod()
            let add = try node.add(pod, IfName.multus, PodIdentity.random())
            #expect(add.errorCode == 7 && add.errorMessage?.contains("peers: no peer configured") == true, "\(add)")
            #expect(try node.linkNames() == ["eth0", "lo"] && node.recordFiles() == [])

            try FileManager.default.removeItem(at: cluster.peersFile)
            let missing = try node.cni.status(network: node.network)
            #expect(missing.errorCode == 50 && missing.errorMessage?.contains(cluster.peersFile.path) == true, "\(missing)")
        }
    }
}
