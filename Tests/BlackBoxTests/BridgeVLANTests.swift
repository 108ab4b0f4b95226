import Foundation
import Testing

/// `vlan`, `vlanTrunk`, `preserveDefaultVlan` of `bridge` (conf/bridge-vlan.conflist and variants of it on
/// one bridge), proven by traffic between pods, read back with `bridge vlan show`, side by side with the
/// reference. Needs bridge VLAN filtering and 802.1Q: it runs in the stock-kernel VM lane
/// (Tests/vm/suites) and skips, saying so, on a kernel without them.
///
/// Ours follows the reference v1.8.0 and later (v1.9.1 today): `preserveDefaultVlan` defaults to false (a
/// `vlan` port leaves VLAN 1), and `vlan` with `vlanTrunk` is the trunk's native (untagged) VLAN; a trunk
/// without `vlan` carries VLAN 1 untagged. Reference 1.1.1 (Debian) knows `vlan` only: it ignores
/// `vlanTrunk` and `preserveDefaultVlan` and always keeps VLAN 1 on the port. Where the two differ the
/// tests run both and name the difference; tests of keys 1.1.1 ignores are ours only.
/// Pods on L2 networks get their addresses from the test; "cannot reach" checks pin the neighbour's
/// MAC first, so the frames are sent and only the bridge can stop them.
extension BlackBox {
    @Suite(.enabled(if: VLANKernel.supported, VLANKernel.skipReason))
    struct BridgeVLAN {
        /// Two pods on access VLAN 10 talk; a pod on VLAN 20 on the same bridge and subnet reaches neither.
        /// Without `preserveDefaultVlan` ours takes VLAN 1 off the ports (reference v1.8.0+); 1.1.1 keeps it.
        @Test(arguments: Implementation.enabled)
        func accessVLANsAreApart(_ impl: Implementation) throws {
            let world = try VLANWorld(impl) { $0["preserveDefaultVlan"] = nil }
            let vlan20 = try world.network("bridge-vlan-20") {
                $0["vlan"] = 20
                $0["preserveDefaultVlan"] = nil
            }
            let a = try world.attach(world.base, "a", address: "10.99.0.1/24")
            let b = try world.attach(world.base, "b", address: "10.99.0.2/24")
            let c = try world.attach(vlan20, "c", address: "10.99.0.3/24")

            #expect(try world.vlanFiltering() == 1, "the bridge is made with vlan_filtering on")
            let vlan1 = impl == .reference ? ["1 untagged"] : []
            #expect(try world.vlans(of: a.hostVeth) == vlan1 + ["10 pvid untagged"])
            #expect(try world.vlans(of: c.hostVeth) == vlan1 + ["20 pvid untagged"])
            #expect(try Traffic.udpEcho(from: a.pod, to: "10.99.0.2", in: b.pod), "VLAN 10 to VLAN 10")
            try world.pin(c, to: "10.99.0.1", of: a)
            #expect(try !Traffic.udpReaches(from: c.pod, to: "10.99.0.1", in: a.pod), "VLAN 20 must not reach VLAN 10")

            for pod in [a, b, c] {
                let del = try world.del(pod)
                #expect(del.succeeded, "\(del)")
            }
            #expect(try world.setup.ports() == [] && world.setup.nodeVeths() == [])
            #expect(try Array(world.vlans().keys) == [world.setup.bridge], "only the bridge's own VLANs are left")
        }

        /// The difference by traffic: a pod of the default VLAN (a port without VLAN keys) reaches an access
        /// port of VLAN 10 through 1.1.1, which keeps VLAN 1 on it (egress untagged), and not through ours,
        /// which does what the reference does since v1.8.0 (`preserveDefaultVlan` false by default).
        @Test(arguments: Implementation.enabled)
        func accessPortLeavesVLAN1ByDefault(_ impl: Implementation) throws {
            let world = try VLANWorld(impl) { $0["preserveDefaultVlan"] = nil }
            let plain = try world.network("bridge-plain") {
                $0["vlan"] = nil
                $0["preserveDefaultVlan"] = nil
            }
            let a = try world.attach(world.base, "a", address: "10.99.0.1/24")
            let n = try world.attach(plain, "n", address: "10.99.0.3/24")
            #expect(try world.vlans(of: n.hostVeth) == ["1 pvid untagged"])
            try world.pin(n, to: "10.99.0.1", of: a)
            let reached = try Traffic.udpReaches(from: n.pod, to: "10.99.0.1", in: a.pod)
            #expect(reached == (impl == .reference), impl == .reference ? "1.1.1 keeps VLAN 1 on an access port" : "no VLAN 1 on an access port")
            if impl == .ours { #expect(try world.check(a).succeeded, "CHECK expects no VLAN 1") }
            for pod in [a, n] { #expect(try world.del(pod).succeeded) }
        }

        /// The same config through both: the same bridge, port and VLAN state after ADD and after DEL. With
        /// `preserveDefaultVlan: true`, which 1.1.1 ignores but always does.
        @Test(.enabled(if: Implementation.enabled.contains(.reference), "needs the reference"))
        func sameStateAsTheReference() throws {
            let identity = PodIdentity.random()
            func run(_ impl: Implementation) throws -> (added: String, deleted: String) {
                let world = try VLANWorld(impl) { $0["preserveDefaultVlan"] = true }
                let pod = try world.setup.sandbox.pod()
                let add = try world.setup.add(pod, IfName.multus, identity)
                try #require(add.succeeded, "\(impl): \(add)")
                let hostVeth = try #require(BridgeResult(add).hostVeth)
                let state = { () throws -> String in
                    let vlans = try world.vlans().map { ($0.key == hostVeth ? "<host-veth>" : $0.key) + ": " + $0.value.joined(separator: ", ") }
                    return "\(try world.setup.snapshot(pod: pod, ifname: IfName.multus))\n" + vlans.sorted().joined(separator: "\n")
                }
                let added = try state()
                let del = try world.setup.del(pod, IfName.multus, identity)
                try #require(del.succeeded, "\(impl): \(del)")
                return (added, try state())
            }
            let reference = try run(.reference)
            #expect(reference.added.contains("<host-veth>: 1 untagged, 10 pvid untagged"), "\(reference.added)")
            let other = Implementation.enabled.contains(.ours) ? try run(.ours) : try run(.reference)
            #expect(other.added == reference.added)
            #expect(other.deleted == reference.deleted)
        }

        /// `vlan` with `vlanTrunk` (reference v1.8.0+): the trunk's VLANs tagged and `vlan` its native VLAN,
        /// untagged. The pod's untagged frames are in VLAN 20 (they reach an access pod of VLAN 20, not one
        /// of the default VLAN), its 802.1Q device for VLAN 10 reaches an access pod of VLAN 10. CHECK passes,
        /// then names the native VLAN once it lost its PVID. 1.1.1 ignores `vlanTrunk`: an access port of
        /// VLAN 20 (keeping VLAN 1), so the tagged VLAN 10 does not pass.
        @Test(arguments: Implementation.enabled)
        func nativeVLANOfATrunk(_ impl: Implementation) throws {
            let world = try VLANWorld(impl)  // the fixture: access VLAN 10
            let trunk = try world.network("bridge-vlan-native") {
                $0["vlan"] = 20
                $0["vlanTrunk"] = [["minID": 10, "maxID": 19]]
            }
            let vlan20 = try world.network("bridge-vlan-20") { $0["vlan"] = 20 }
            let plain = try world.network("bridge-plain") {
                $0["vlan"] = nil
                $0["preserveDefaultVlan"] = nil
            }
            let t = try world.attach(trunk, "t", address: "10.20.0.1/24")
            let a10 = try world.attach(world.base, "a10", address: "10.10.0.2/24")
            let a20 = try world.attach(vlan20, "a20", address: "10.20.0.2/24")
            let n = try world.attach(plain, "n", address: "10.20.0.3/24")
            try Shell.must(["ip", "-n", t.pod, "link", "add", "link", IfName.multus, "name", "net1.10", "type", "vlan", "id", "10"])
            try Shell.must(["ip", "-n", t.pod, "addr", "add", "10.10.0.1/24", "dev", "net1.10"])
            try Shell.must(["ip", "-n", t.pod, "link", "set", "net1.10", "up"])

            switch impl {
            case .ours:
                #expect(try world.vlans(of: t.hostVeth) == (10...19).map { "\($0) tagged" } + ["20 pvid untagged"])
                #expect(try Traffic.udpEcho(from: t.pod, to: "10.10.0.2", in: a10.pod), "tagged VLAN 10 to access VLAN 10")
            case .reference:
                #expect(try world.vlans(of: t.hostVeth) == ["1 untagged", "20 pvid untagged"], "1.1.1 ignores vlanTrunk")
                try world.pin(t, to: "10.10.0.2", of: a10, dev: "net1.10")
                #expect(try !Traffic.udpReaches(from: t.pod, to: "10.10.0.2", in: a10.pod), "1.1.1: no trunk, VLAN 10 does not pass")
            }
            #expect(try Traffic.udpEcho(from: t.pod, to: "10.20.0.2", in: a20.pod), "untagged is the native VLAN 20")
            try world.pin(t, to: "10.20.0.3", of: n)
            #expect(try !Traffic.udpReaches(from: t.pod, to: "10.20.0.3", in: n.pod), "untagged is not VLAN 1")

            if impl == .ours {
                #expect(try world.check(t).succeeded)
                try Shell.must(["bridge", "-n", world.setup.sandbox.node, "vlan", "add", "dev", t.hostVeth, "vid", "20"])
                let check = try world.check(t)
                #expect(check.errorMessage?.contains("host veth \(t.hostVeth) has VLAN 20 tagged, configured 20 pvid untagged") == true, "\(check)")
            }
            for pod in [t, a10, a20, n] { #expect(try world.del(pod).succeeded) }
            #expect(try world.setup.ports() == [])
        }

        /// A trunk carries its VLANs tagged: an 802.1Q device of the pod reaches an access pod of a VLAN in
        /// the trunk, not one of a VLAN outside it.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours only"))
        func trunkCarriesItsVLANsTagged() throws {
            let world = try VLANWorld(.ours)
            let trunk = try world.network("bridge-vlan-trunk") {
                $0["vlan"] = nil
                $0["vlanTrunk"] = [["minID": 10, "maxID": 19], ["id": 30]]
                $0["preserveDefaultVlan"] = nil  // VLAN 1 is the native (untagged) VLAN of a trunk without vlan, kept or not
            }
            let vlan40 = try world.network("bridge-vlan-40") { $0["vlan"] = 40 }
            let t = try world.attach(trunk, "t")
            let a10 = try world.attach(world.base, "a10", address: "10.10.0.2/24")
            let a40 = try world.attach(vlan40, "a40", address: "10.40.0.2/24")
            for (vid, address) in [(10, "10.10.0.1/24"), (40, "10.40.0.1/24")] {
                try Shell.must(["ip", "-n", t.pod, "link", "add", "link", IfName.multus, "name", "net1.\(vid)", "type", "vlan", "id", "\(vid)"])
                try Shell.must(["ip", "-n", t.pod, "addr", "add", address, "dev", "net1.\(vid)"])
                try Shell.must(["ip", "-n", t.pod, "link", "set", "net1.\(vid)", "up"])
            }

            #expect(try world.vlans(of: t.hostVeth) == ["1 pvid untagged"] + (10...19).map { "\($0) tagged" } + ["30 tagged"])
            #expect(try Traffic.udpEcho(from: t.pod, to: "10.10.0.2", in: a10.pod), "trunk VLAN 10 to access VLAN 10")
            try world.pin(t, to: "10.40.0.2", of: a40, dev: "net1.40")
            #expect(try !Traffic.udpReaches(from: t.pod, to: "10.40.0.2", in: a40.pod), "VLAN 40 is not in the trunk")

            #expect(try world.check(t).succeeded)
            for pod in [t, a10, a40] { #expect(try world.del(pod).succeeded) }
            #expect(try world.setup.ports() == [])
        }

        /// `preserveDefaultVlan: false` takes the default VLAN 1 off the pod's port: a pod of the default
        /// VLAN no longer reaches it, while it does reach a VLAN 10 pod that kept VLAN 1 (the default).
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours only"))
        func preserveDefaultVlanFalseRemovesVLAN1() throws {
            let world = try VLANWorld(.ours)  // the fixture: vlan 10, preserveDefaultVlan false
            let kept = try world.network("bridge-vlan-kept") { $0["preserveDefaultVlan"] = true }
            let plain = try world.network("bridge-plain") {
                $0["vlan"] = nil
                $0["preserveDefaultVlan"] = nil
            }
            let p = try world.attach(world.base, "p", address: "10.99.0.1/24")
            let q = try world.attach(kept, "q", address: "10.99.0.2/24")
            let n = try world.attach(plain, "n", address: "10.99.0.3/24")

            #expect(try world.vlans(of: p.hostVeth) == ["10 pvid untagged"], "no VLAN 1 left")
            #expect(try world.vlans(of: q.hostVeth) == ["1 untagged", "10 pvid untagged"])
            #expect(try world.vlans(of: n.hostVeth) == ["1 pvid untagged"])
            try world.pin(n, to: "10.99.0.1", of: p)
            try world.pin(n, to: "10.99.0.2", of: q)
            #expect(try Traffic.udpReaches(from: n.pod, to: "10.99.0.2", in: q.pod), "VLAN 1 frames reach a port that kept VLAN 1")
            #expect(try !Traffic.udpReaches(from: n.pod, to: "10.99.0.1", in: p.pod), "and not one without it")
            #expect(try Traffic.udpEcho(from: p.pod, to: "10.99.0.2", in: q.pod), "p and q share VLAN 10")
            #expect(try world.check(p).succeeded)
            for pod in [p, q, n] { #expect(try world.del(pod).succeeded) }
        }

        /// CHECK passes, then names the port and the VLAN once someone changed the port's VLANs.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours only"))
        func checkReportsVLANDrift() throws {
            let world = try VLANWorld(.ours)
            let trunk = try world.network("bridge-vlan-trunk") {
                $0["vlan"] = nil
                $0["vlanTrunk"] = [["minID": 100, "maxID": 110]]
                $0["preserveDefaultVlan"] = nil
            }
            let kept = try world.network("bridge-vlan-kept") {
                $0["vlan"] = 30
                $0["preserveDefaultVlan"] = true
            }
            let a = try world.attach(world.base, "a")
            let t = try world.attach(trunk, "t")
            let k = try world.attach(kept, "k")
            for pod in [a, t, k] { #expect(try world.check(pod).succeeded) }

            let node = world.setup.sandbox.node
            try Shell.must(["bridge", "-n", node, "vlan", "del", "dev", a.hostVeth, "vid", "10"])
            try Shell.must(["bridge", "-n", node, "vlan", "add", "dev", a.hostVeth, "vid", "1", "untagged"])
            try Shell.must(["bridge", "-n", node, "vlan", "del", "dev", t.hostVeth, "vid", "105"])
            try Shell.must(["bridge", "-n", node, "vlan", "add", "dev", t.hostVeth, "vid", "999"])
            try Shell.must(["bridge", "-n", node, "vlan", "del", "dev", t.hostVeth, "vid", "1"])
            try Shell.must(["bridge", "-n", node, "vlan", "del", "dev", k.hostVeth, "vid", "1"])
            let checkA = try world.check(a), checkT = try world.check(t), checkK = try world.check(k)
            #expect(checkA.errorCode == 7 && checkA.errorMessage?.contains("host veth \(a.hostVeth) lost VLAN 10") == true, "\(checkA)")
            #expect(checkA.errorMessage?.contains("has VLAN 1, which the config does not give it (preserveDefaultVlan is false: the default VLAN 1 comes off the port)") == true, "\(checkA)")
            #expect(checkT.errorMessage?.contains("lost VLAN 1, 105") == true, "VLAN 1 is the trunk's native VLAN: \(checkT)")
            #expect(checkT.errorMessage?.contains("has VLAN 999, which the config does not give it") == true, "\(checkT)")
            #expect(checkK.errorMessage?.contains("lost the bridge's default VLAN 1 (preserveDefaultVlan is true)") == true, "\(checkK)")

            try world.node.setLink(world.setup.bridge, "type", "bridge", "vlan_filtering", "0")
            let checkOff = try world.check(t)
            #expect(checkOff.errorMessage?.contains("bridge \(world.setup.bridge) has vlan_filtering off") == true, "\(checkOff)")
            for pod in [a, t, k] { #expect(try world.del(pod).succeeded) }
            #expect(try world.setup.nodeVeths() == [])
        }

        /// `isGateway` with `vlan`: the gateway is `<bridge>.<vlan>`, reachable from the VLAN's pods. The
        /// reference makes it a veth pair (one end a bridge port in the VLAN); ours an 802.1Q device on
        /// the bridge with the VLAN on the bridge itself. Both stay after DEL, as the bridge does.
        @Test(arguments: Implementation.enabled)
        func gatewayOnTheVLAN(_ impl: Implementation) throws {
            let world = try VLANWorld(impl) {
                $0["preserveDefaultVlan"] = nil
                $0["isGateway"] = true
                $0["ipam"] = ["type": "host-local", "subnet": "10.250.20.0/24"]
            }
            let pod = try world.attach(world.base, "a")
            let result = BridgeResult(pod.add)
            let gateway = "\(world.setup.bridge).10"
            #expect(result.gateway == "10.250.20.1" && result.interfaces.last?["name"] as? String == gateway, "\(pod.add)")
            let link = try #require(try world.node.link(gateway), "\(gateway) in the node")
            let kind = (link.raw["linkinfo"] as? [String: Any])?["info_kind"] as? String
            #expect(kind == (impl == .ours ? "vlan" : "veth"))
            if impl == .ours {
                #expect(try world.vlans(of: world.setup.bridge) == ["1 pvid untagged", "10 tagged"], "the bridge itself is in VLAN 10")
                #expect(try world.check(pod).succeeded)
            }
            #expect(try Traffic.udpEcho(from: pod.pod, to: "10.250.20.1", in: world.setup.sandbox.node), "pod -> gateway on VLAN 10")

            #expect(try world.del(pod).succeeded)
            #expect(try world.node.link(gateway) != nil, "the VLAN gateway is shared: DEL keeps it")
        }

        /// An ADD that fails after it made the VLAN gateway (the node refuses IPv6 on new interfaces) removes
        /// it and the bridge's own VLAN again, and leaves the bridge to the pod already on it.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours only"))
        func failedADDRemovesTheVLANGatewayItMade() throws {
            let world = try VLANWorld(.ours) { $0["vlan"] = 20 }
            let first = try world.attach(world.base, "a")
            let gatewayNetwork = try world.network("bridge-vlan-gw") {
                $0["isGateway"] = true
                $0["ipam"] = ["type": "host-local", "subnet": "fd00:10::/64"]
            }
            try world.node.setSysctl("net.ipv6.conf.default.disable_ipv6", "1")
            let pod = try world.setup.sandbox.pod("b")
            let add = try world.setup.cni.add(network: gatewayNetwork, netns: pod, ifname: IfName.multus, pod: PodIdentity.random())
            let gateway = "\(world.setup.bridge).10"
            #expect(!add.succeeded && add.errorMessage?.contains(gateway) == true, "\(add)")
            #expect(try world.node.link(gateway) == nil, "the VLAN gateway went with the failed ADD")
            #expect(try world.vlans(of: world.setup.bridge) == ["1 pvid untagged"], "and so did the bridge's own VLAN 10")
            #expect(try world.setup.ports() == [first.hostVeth])
            #expect(try world.del(first).succeeded)
        }

        /// On a bridge that exists with vlan_filtering off, both leave the setting alone (it decides for
        /// every port); the VLANs are set on the port but not enforced, and our CHECK says so.
        @Test(arguments: Implementation.enabled)
        func existingBridgeKeepsItsFiltering(_ impl: Implementation) throws {
            let world = try VLANWorld(impl) { $0["preserveDefaultVlan"] = true }  // what 1.1.1 always does
            try Shell.must(["ip", "-n", world.setup.sandbox.node, "link", "add", world.setup.bridge, "type", "bridge"])
            let pod = try world.attach(world.base, "a")
            #expect(try world.vlanFiltering() == 0)
            #expect(try world.vlans(of: pod.hostVeth) == ["1 untagged", "10 pvid untagged"])
            if impl == .ours {
                #expect(pod.add.output.stderr.contains("bridge \(world.setup.bridge) has vlan_filtering off"), "ADD warns: \(pod.add)")
                let check = try world.check(pod)
                #expect(check.errorMessage?.contains("has vlan_filtering off") == true, "\(check)")
            }
            #expect(try world.del(pod).succeeded)
        }

        /// An ADD that fails after the port got its VLANs (IPAM refuses its range) leaves nothing, not even
        /// the bridge it made.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours only"))
        func failedADDLeavesNothing() throws {
            let world = try VLANWorld(.ours) { $0["ipam"] = ["type": "host-local", "subnet": "10.250.21.0/24",
                                                           "rangeStart": "10.250.22.1"] }
            let pod = try world.setup.sandbox.pod()
            let add = try world.setup.add(pod, IfName.multus, PodIdentity.random())
            #expect(!add.succeeded && add.errorMessage != nil, "rangeStart outside the subnet: \(add)")
            #expect(try world.node.links().compactMap { $0["ifname"] as? String } == ["lo"], "no bridge, no veth left")
            #expect(try NetState(netns: pod).link(IfName.multus) == nil)
        }
    }
}
