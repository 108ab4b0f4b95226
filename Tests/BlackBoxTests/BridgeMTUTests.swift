import Foundation
import Testing

/// The MTU of a pod's veth on a bridge that exists already, here one with a jumbo-frame uplink (9000).
/// Without `mtu` (or with 0) ours gives the veth the bridge's MTU, so the bridge keeps its jumbo frames
/// and the pod can use them; the reference leaves the veth at the kernel's 1500, which pulls the bridge
/// down to 1500. With `mtu` set both do the same.
extension BlackBox {
    @Suite struct BridgeMTU {
        /// `mtu` in the config (nil: absent) and the pod MTU each implementation must give.
        static let cases: [(mtu: Int?, ours: Int, reference: Int)] = [(nil, 9000, 1500), (0, 9000, 1500), (1400, 1400, 1400)]

        @Test(arguments: Implementation.enabled, cases.indices)
        func vethTakesTheBridgesMTU(_ impl: Implementation, _ index: Int) throws {
            let (mtu, ours, reference) = Self.cases[index]
            let setup = try BridgeSetup(impl, "bridge-host-local.conflist") { $0["mtu"] = mtu }
            let node = setup.sandbox.node
            // The node's bridge with its uplink (a veth end), both at 9000: the bridge follows its port.
            try Shell.must(["ip", "-n", node, "link", "add", setup.bridge, "type", "bridge"])
            try Shell.must(["ip", "-n", node, "link", "add", "uplink0", "mtu", "9000", "type", "veth", "peer", "name", "uplink0p", "mtu", "9000"])
            try Shell.must(["ip", "-n", node, "link", "set", "uplink0", "master", setup.bridge, "up"])
            try Shell.must(["ip", "-n", node, "link", "set", setup.bridge, "up"])
            #expect(try setup.node.link(setup.bridge)?.mtu == 9000)

            let pod = try setup.sandbox.pod(), identity = PodIdentity.random()
            let add = try setup.add(pod, IfName.multus, identity)
            try #require(add.succeeded, "\(add)")
            let wanted = impl == .ours ? ours : reference
            #expect(try NetState(netns: pod).link(IfName.multus)?.mtu == wanted, "\(impl), mtu \(mtu.map(String.init) ?? "absent")")
            #expect(try setup.node.link(setup.bridge)?.mtu == min(wanted, 9000), "the bridge follows its smallest port")
            // A frame of the pod's full MTU reaches the gateway on the bridge, unfragmented.
            let ping = try NetState(netns: pod).exec(["ping", "-c", "1", "-W", "2", "-M", "do", "-s", "\(wanted - 28)", "10.250.10.1"])
            #expect(ping.succeeded, "\(ping)")
            #expect(try setup.check(pod, IfName.multus, identity).succeeded)
            #expect(try setup.del(pod, IfName.multus, identity).succeeded)
        }
    }
}
