import Foundation
import Testing

/// `tuning`'s link settings (mac, mtu, promisc, allmulti, txQLen) and sysctls: applied on ADD,
/// verified by CHECK, restored on DEL.
extension BlackBox {
    @Suite struct TuningLink {
        /// Values set by conf/ptp-tuning.conflist and conf/host-device-tuning.conflist.
        static let mtu = 1400, txQueueLength = 2000
        static let sysctl = "net.ipv4.conf.all.arp_filter"

        enum Drift: String, CaseIterable, Sendable, CustomTestStringConvertible {
            case mac, mtu, promisc, allmulti, txQLen, sysctl
            var testDescription: String { rawValue }

            /// Changes the value by hand in the pod, behind the plugin's back.
            func apply(in state: NetState, ifname: String) throws {
                switch self {
                case .mac: try state.setLink(ifname, "address", "c2:00:00:00:0d:0d")
                case .mtu: try state.setLink(ifname, "mtu", "1300")
                case .promisc: try state.setLink(ifname, "promisc", "off")
                case .allmulti: try state.setLink(ifname, "allmulticast", "off")
                case .txQLen: try state.setLink(ifname, "txqueuelen", "500")
                case .sysctl: try state.setSysctl(TuningLink.sysctl, "0")
                }
            }

            /// Whether the implementation's CHECK notices this drift.
            func caught(by impl: Implementation) -> Bool {
                // Reference 1.1.1 has no txQLen at all (it ignores the key): ours-only.
                !(impl == .reference && self == .txQLen)
            }
        }

        /// (c) Values applied and read back, CHECK passes, then one value drifts and CHECK fails.
        @Test(arguments: Implementation.enabled, Drift.allCases)
        func checkCatchesDrift(_ impl: Implementation, _ drift: Drift) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, impl)
            let network = try Fixtures.install("ptp-tuning.conflist", in: sandbox)
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()
            let state = NetState(netns: pod)

            let add = try cni.add(network: network, netns: pod, ifname: ifname, pod: identity)
            try #require(add.succeeded, "\(add)")
            let link = try #require(try state.link(ifname))
            #expect(link.mac == "c2:00:00:00:00:02")
            #expect(link.mtu == Self.mtu)
            #expect(link.promiscuous)
            #expect(link.allmulti)
            if impl == .ours {  // reference 1.1.1 ignores txQLen
                #expect(link.txQueueLength == Self.txQueueLength)
            }
            #expect(try state.sysctl(Self.sysctl) == "1")

            let clean = try cni.check(network: network, netns: pod, ifname: ifname, pod: identity)
            #expect(clean.succeeded, "\(clean)")

            try drift.apply(in: state, ifname: ifname)
            let drifted = try cni.check(network: network, netns: pod, ifname: ifname, pod: identity)
            if drift.caught(by: impl) {
                #expect(!drifted.succeeded, "CHECK missed a drift of \(drift): \(drifted)")
                #expect(drifted.errorCode != nil, "CHECK failure without CNI error JSON: \(drifted)")
            } else {
                #expect(drifted.succeeded, "reference CHECK now checks \(drift)? \(drifted)")
            }

            let del = try cni.del(network: network, netns: pod, ifname: ifname, pod: identity)
            #expect(del.succeeded, "\(del)")
        }

        /// (d) DEL restores the original values. host-device moves a node NIC into the pod and back
        /// on DEL (after tuning's DEL ran), so the restored device can be observed in the node netns.
        /// A veth end stands in for the NIC (a veth dies with its netns: it never falls back into the
        /// root netns the way a physical NIC would).
        @Test(arguments: Implementation.enabled, [IfName.multus, IfName.kubevirt()])
        func delRestoresOriginalValues(_ impl: Implementation, _ ifname: String) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, impl)
            let network = try Fixtures.install("host-device-tuning.conflist", in: sandbox)
            let node = NetState(netns: sandbox.node)
            try Shell.must(["ip", "-n", sandbox.node, "link", "add", "name", "ens1f1", "type", "veth", "peer", "name", "ens1f1p"])
            let original = try #require(try node.link("ens1f1"))
            let pod = try sandbox.pod()
            let podState = NetState(netns: pod)
            let identity = PodIdentity.random()
            let sysctlBefore = try podState.sysctl(Self.sysctl)

            let add = try cni.add(network: network, netns: pod, ifname: ifname, pod: identity)
            try #require(add.succeeded, "\(add)")
            let tuned = try #require(try podState.link(ifname))
            #expect(tuned.mac == "c2:00:00:00:00:03" && tuned.mtu == Self.mtu && tuned.promiscuous && tuned.allmulti)
            #expect(try podState.sysctl(Self.sysctl) == "1")
            let check = try cni.check(network: network, netns: pod, ifname: ifname, pod: identity)
            #expect(check.succeeded, "\(check)")

            let del = try cni.del(network: network, netns: pod, ifname: ifname, pod: identity)
            try #require(del.succeeded, "\(del)")
            let restored = try #require(try node.link("ens1f1"), "host-device did not give the NIC back")
            #expect(restored.mac == original.mac)
            #expect(restored.mtu == original.mtu)
            #expect(restored.promiscuous == original.promiscuous)
            #expect(restored.allmulti == original.allmulti)
            #expect(restored.txQueueLength != nil && restored.txQueueLength == original.txQueueLength)
            if impl == .ours {
                // Ours-only: the reference does not restore sysctls on DEL (it leaves "1").
                #expect(try podState.sysctl(Self.sysctl) == sysctlBefore)
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: sandbox.tuningDir.path)
            #expect(leftovers.isEmpty, "tuning dataDir not cleaned after DEL: \(leftovers)")
        }
    }
}
