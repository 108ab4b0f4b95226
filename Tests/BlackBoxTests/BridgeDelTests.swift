import Foundation
import Testing

/// (5) Every DEL path must succeed and remove the pod's veth, rules and IPAM allocation:
/// twice, after the pod netns is gone, with an empty CNI_NETNS, and after KubeVirt renamed the pod
/// interface and left a leftover with the old name.
extension BlackBox {
    @Suite struct BridgeDel {
        @Test(arguments: Implementation.enabled, BridgeSetup.ifnames)
        func twice(_ impl: Implementation, _ ifname: String) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist")
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, ifname, identity)
            try #require(add.succeeded, "\(add)")
            for round in 1...2 {
                let del = try setup.del(pod, ifname, identity)
                #expect(del.succeeded, "DEL #\(round): \(del)")
            }
            #expect(try setup.nodeVeths() == [])
            #expect(try Nft.rules(in: setup.sandbox.node) == [])
            #expect(setup.allocations() == [])
        }

        @Test(arguments: Implementation.enabled, BridgeSetup.ifnames)
        func afterThePodNetnsIsGone(_ impl: Implementation, _ ifname: String) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist")
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, ifname, identity)
            try #require(add.succeeded, "\(add)")
            let result = BridgeResult(add)
            let needles = [result.podMAC ?? "", result.hostVeth ?? ""]
            try setup.sandbox.deleteNamespace(pod)

            let del = try setup.del(pod, ifname, identity)
            #expect(del.succeeded, "\(del)")
            #expect(setup.allocations() == [], "IPAM released")
            // The kernel destroys the veth pair with the netns (asynchronously).
            let vethsGone = try eventually { try setup.nodeVeths().isEmpty }
            #expect(vethsGone, "host veth left: \(String(describing: try? setup.nodeVeths()))")
            let leftover = try setup.rules(mentioning: needles)
            switch impl {
            case .ours:
                #expect(leftover.isEmpty, "spoof-check rules left: \(leftover)")
            case .reference:
                // 1.1.1 returns right after IPAM DEL when the netns is gone: the rules leak.
                #expect(!leftover.isEmpty, "reference now removes the rules without the netns?")
            }
        }

        /// CNI_NETNS empty (a runtime that lost the netns path): run directly, libcni needs a path.
        @Test(arguments: Implementation.enabled, BridgeSetup.ifnames)
        func withEmptyNetns(_ impl: Implementation, _ ifname: String) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist")
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, ifname, identity)
            try #require(add.succeeded, "\(add)")
            let result = BridgeResult(add)
            let needles = [result.podMAC ?? "", result.hostVeth ?? ""]

            let del = try setup.exec("DEL", netns: nil, ifname: ifname, identity: identity)
            #expect(del.succeeded, "\(del)")
            #expect(setup.allocations() == [], "IPAM released")
            let veths = try setup.nodeVeths(), rules = try setup.rules(mentioning: needles)
            let podSide = try NetState(netns: pod).link(ifname)
            switch impl {
            case .ours:
                #expect(veths.isEmpty, "host veth left")
                #expect(podSide == nil, "pod side left")
                #expect(rules.isEmpty, "spoof-check rules left: \(rules)")
            case .reference:
                // 1.1.1 only releases IPAM without a netns: the veth pair and the rules leak.
                #expect(veths == [result.hostVeth].compactMap { $0 } && podSide != nil && !rules.isEmpty)
            }
        }

        /// KubeVirt's bridge binding renames the pod interface (to `<name>-nic`) and leaves a
        /// link with the old name (a dummy; this kernel has no dummy type, so one end of a veth pair).
        @Test(arguments: Implementation.enabled, BridgeSetup.ifnames)
        func afterKubeVirtRenamedThePodInterface(_ impl: Implementation, _ ifname: String) throws {
            let setup = try BridgeSetup(impl, "bridge-test.conflist") { $0["macspoofchk"] = true }
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, ifname, identity)
            try #require(add.succeeded, "\(add)")
            let result = BridgeResult(add)
            let needles = [result.podMAC ?? "", result.hostVeth ?? ""]
            #expect(try !setup.rules(mentioning: needles).isEmpty)

            let renamed = String((ifname.hasPrefix("pod") ? String(ifname.dropFirst(3)) : ifname).prefix(11)) + "-nic"
            try Shell.must(["ip", "-n", pod, "link", "set", "dev", ifname, "down"])
            try Shell.must(["ip", "-n", pod, "link", "set", "dev", ifname, "name", renamed])
            try Shell.must(["ip", "-n", pod, "link", "add", "name", ifname, "type", "veth", "peer", "name", "kv-leftover"])

            let del = try setup.del(pod, ifname, identity)
            #expect(del.succeeded, "DEL fails on the leftover: \(del)")
            #expect(try setup.rules(mentioning: needles).isEmpty, "spoof-check rules left")
            let ports = try setup.ports()
            switch impl {
            case .ours:
                #expect(ports.isEmpty, "host veth left on the bridge: \(ports)")
                #expect(try NetState(netns: pod).link(renamed) == nil, "the renamed pod side lives on")
            case .reference:
                // 1.1.1 deletes the link named CNI_IFNAME (the leftover) and leaves the real veth pair.
                #expect(ports == [result.hostVeth].compactMap { $0 })
                #expect(try NetState(netns: pod).link(renamed) != nil)
                #expect(try NetState(netns: pod).link(ifname) == nil, "the leftover was deleted")
            }
        }
    }
}
