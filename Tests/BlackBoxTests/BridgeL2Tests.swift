import Foundation
import Testing

/// (1) KubeVirt's bridge-binding NAD (conf/bridge-test.conflist: L2 only, disableContainerInterface)
/// through libcni: result shape, what is on the bridge, CHECK, DEL.
extension BlackBox {
    @Suite struct BridgeL2 {
        @Test(arguments: Implementation.enabled, BridgeSetup.ifnames)
        func addCheckDel(_ impl: Implementation, _ ifname: String) throws {
            // The NAD says 0.3.1; CHECK exists from 0.4.0, so run it as 1.0.0.
            let setup = try BridgeSetup(impl, "bridge-test.conflist", cniVersion: "1.0.0")
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()

            let add = try setup.add(pod, ifname, identity)
            try #require(add.succeeded, "\(add)")
            let result = BridgeResult(add)
            // interfaces: bridge, host veth, pod veth (with sandbox); no ips for L2.
            try #require(result.interfaces.count == 3, "\(add)")
            #expect(result.interfaces[0]["name"] as? String == "br-test")
            #expect(result.interfaces[0]["sandbox"] == nil && result.interfaces[1]["sandbox"] == nil)
            #expect(result.interfaces[2]["name"] as? String == ifname)
            #expect(result.interfaces[2]["sandbox"] as? String == Sandbox.path(ofNamespace: pod))
            #expect(result.ips.isEmpty, "L2 only: \(add)")

            let snapshot = try setup.snapshot(pod: pod, ifname: ifname)
            #expect(snapshot.bridge?.kind == "bridge" && snapshot.bridge?.up == true, "\(snapshot)")
            #expect(snapshot.bridge?.addresses == [], "no gateway address for L2: \(snapshot)")
            #expect(snapshot.ports.count == 1 && snapshot.ports.first?.kind == "veth", "\(snapshot)")
            #expect(snapshot.hostVeths == [result.hostVeth].compactMap { $0 }, "result names the host veth: \(snapshot)")
            #expect(snapshot.pod?.kind == "veth" && snapshot.pod?.addresses == [], "\(snapshot)")
            #expect(snapshot.podRoutes.isEmpty, "\(snapshot)")
            // The pod side's peer is the veth on the bridge.
            let podLink = try #require(try NetState(netns: pod).link(ifname))
            let hostLink = try #require(try setup.node.link(result.hostVeth ?? "-"))
            #expect(podLink.raw["link_index"] as? Int == hostLink.raw["ifindex"] as? Int)
            #expect(hostLink.raw["master"] as? String == "br-test")
            #expect(podLink.mac == result.podMAC, "result MAC is the pod's: \(add)")
            switch impl {
            case .ours:
                #expect(snapshot.pod?.up == false, "disableContainerInterface leaves the pod side down: \(snapshot)")
            case .reference:
                // 1.1.1 does not know disableContainerInterface: the pod side is up.
                #expect(snapshot.pod?.up == true, "\(snapshot)")
            }

            let check = try setup.check(pod, ifname, identity)
            switch impl {
            case .ours:
                #expect(check.succeeded, "CHECK of an L2-only config: \(check)")
            case .reference:
                // 1.1.1 runs IPAM CHECK with an empty type.
                #expect(check.errorCode == 999 && check.errorMessage == "no plugin name provided", "\(check)")
            }

            let del = try setup.del(pod, ifname, identity)
            #expect(del.succeeded, "\(del)")
            #expect(try setup.nodeVeths() == [], "host veth left after DEL")
            #expect(try NetState(netns: pod).link(ifname) == nil, "pod side left after DEL")
            #expect(try setup.node.link("br-test") != nil, "the bridge is shared: DEL keeps it")
        }

        /// Ours-only: the host veth's name derives from container id + ifname (DEL finds it without
        /// the netns): the same attachment gets the same name on another node, another ifname or
        /// container id another name. The reference's names are random (`veth<8 hex>`).
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "deterministic names are ours only"))
        func hostVethNameIsDeterministic() throws {
            let identity = PodIdentity.random()
            func hostVeth(_ identity: PodIdentity, _ ifname: String) throws -> String {
                let setup = try BridgeSetup(.ours, "bridge-test.conflist")
                let add = try setup.add(try setup.sandbox.pod(), ifname, identity)
                try #require(add.succeeded, "\(add)")
                return try #require(BridgeResult(add).hostVeth)
            }
            let name = try hostVeth(identity, IfName.multus)
            #expect(name.utf8.count <= 15 && !name.contains("/") && !name.contains(":"))
            #expect(try hostVeth(identity, IfName.multus) == name)
            #expect(try hostVeth(identity, "net2") != name)
            #expect(try hostVeth(PodIdentity.random(), IfName.multus) != name)
        }

        /// The NAD as written (0.3.1): ADD and DEL, and a second pod on the same bridge.
        @Test(arguments: Implementation.enabled)
        func twoPodsOnTheNADAsWritten(_ impl: Implementation) throws {
            let setup = try BridgeSetup(impl, "bridge-test.conflist")
            let pods = [(try setup.sandbox.pod("pod1"), IfName.multus, PodIdentity.random()),
                        (try setup.sandbox.pod("pod2"), IfName.kubevirt(), PodIdentity.random())]
            for (pod, ifname, identity) in pods {
                let add = try setup.add(pod, ifname, identity)
                try #require(add.succeeded, "\(add)")
                #expect(add.json?["cniVersion"] as? String == "0.3.1", "\(add)")
            }
            #expect(try setup.ports().count == 2)
            for (pod, ifname, identity) in pods {
                #expect(try setup.del(pod, ifname, identity).succeeded)
            }
            #expect(try setup.ports() == [])
        }
    }
}
