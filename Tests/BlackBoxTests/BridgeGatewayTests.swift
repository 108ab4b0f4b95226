import Foundation
import Testing

/// (2) conf/bridge-host-local.conflist: host-local IPAM with the gateway address on the bridge,
/// traffic pod -> gateway and pod -> pod. (3) Custom MAC precedence.
extension BlackBox {
    @Suite struct BridgeGateway {
        /// (ifname, isDefaultGateway): every ifname with and without a default route.
        static let variants = BridgeSetup.ifnames.flatMap { ifname in [false, true].map { (ifname, $0) } }

        @Test(arguments: Implementation.enabled, variants)
        func hostLocalWithGateway(_ impl: Implementation, _ variant: (String, Bool)) throws {
            let (ifname, defaultGateway) = variant
            let setup = try BridgeSetup(impl, "bridge-host-local.conflist") { $0["isDefaultGateway"] = defaultGateway }
            let pod1 = try setup.sandbox.pod("pod1"), pod2 = try setup.sandbox.pod("pod2")
            let id1 = PodIdentity.random(), id2 = PodIdentity.random()

            let add1 = try setup.add(pod1, ifname, id1)
            try #require(add1.succeeded, "\(add1)")
            let result = BridgeResult(add1)
            #expect(result.ips.first?["address"] as? String == "10.250.10.2/24", "\(add1)")
            #expect(result.gateway == "10.250.10.1", "\(add1)")
            #expect(result.ips.first?["interface"] as? Int == 2, "IPs belong to the pod interface: \(add1)")

            let snapshot = try setup.snapshot(pod: pod1, ifname: ifname)
            #expect(snapshot.bridge?.addresses == ["10.250.10.1/24"], "gateway address on the bridge: \(snapshot)")
            #expect(snapshot.pod?.addresses == ["10.250.10.2/24"], "\(snapshot)")
            #expect(snapshot.pod?.up == true)
            let defaultRoute = "default via 10.250.10.1 dev \(ifname)"
            #expect(snapshot.podRoutes.contains(defaultRoute) == defaultGateway, "\(snapshot)")

            #expect(try Traffic.udpEcho(from: pod1, to: "10.250.10.1", in: setup.sandbox.node), "pod -> gateway")

            let add2 = try setup.add(pod2, IfName.kubevirt(), id2)
            try #require(add2.succeeded, "\(add2)")
            let address2 = try #require(BridgeResult(add2).address)
            #expect(address2 == "10.250.10.3")
            #expect(try Traffic.udpEcho(from: pod1, to: address2, in: pod2), "pod -> pod on the same bridge")
            #expect(try setup.ports().count == 2)

            let check = try setup.check(pod1, ifname, id1)
            #expect(check.succeeded, "\(check)")

            #expect(try setup.del(pod1, ifname, id1).succeeded)
            #expect(try setup.allocations() == ["10.250.10.3"], "pod1's address released")
            let del2 = try cniDel(setup, pod2, add2, id2)
            #expect(del2.succeeded, "\(del2)")
            #expect(try setup.allocations() == [])
            #expect(try setup.nodeVeths() == [])
            // The gateway address stays on the bridge (both implementations keep the bridge).
            #expect(try setup.snapshot(pod: nil, ifname: ifname).bridge?.addresses == ["10.250.10.1/24"])
        }

        private func cniDel(_ setup: BridgeSetup, _ pod: String, _ add: CNIOutput, _ identity: PodIdentity) throws -> CNIOutput {
            let ifname = try #require(BridgeResult(add).interfaces.last?["name"] as? String)
            return try setup.del(pod, ifname, identity)
        }

        enum MACSource: String, CaseIterable, Sendable, CustomTestStringConvertible {
            case cniArgs, argsCNI, runtimeConfig
            var testDescription: String { rawValue }
            var mac: String {
                switch self {
                case .cniArgs: "c2:00:00:00:0c:01"
                case .argsCNI: "c2:00:00:00:0c:02"
                case .runtimeConfig: "c2:00:00:00:0c:03"
                }
            }
        }

        /// (3) CNI_ARGS MAC < args.cni.mac < runtimeConfig.mac: every source up to `highest` is given
        /// a different MAC and the highest wins. Reference 1.1.1 has this same precedence. It ignores a
        /// top-level `mac` key (not a bridge key), so that is not a source here.
        @Test(arguments: Implementation.enabled, MACSource.allCases)
        func macPrecedence(_ impl: Implementation, _ highest: MACSource) throws {
            let given = MACSource.allCases.prefix { $0 != highest } + [highest]
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist") { bridge in
                if given.contains(.argsCNI) { bridge["args"] = ["cni": ["mac": MACSource.argsCNI.mac]] }
            }
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()
            let cniArgs = identity.cniArgs(extra: given.contains(.cniArgs) ? ["MAC=\(MACSource.cniArgs.mac)"] : [])
            let capArgs: [String: Any]? = given.contains(.runtimeConfig) ? ["mac": MACSource.runtimeConfig.mac] : nil

            let add = try setup.add(pod, ifname, identity, cniArgs: cniArgs, capArgs: capArgs)
            try #require(add.succeeded, "\(add)")
            #expect(try NetState(netns: pod).link(ifname)?.mac == highest.mac)
            #expect(add.sandboxInterface(ifname)?["mac"] as? String == highest.mac, "\(add)")
            // The spoof check allows exactly that MAC.
            #expect(try setup.rules(mentioning: [highest.mac]).isEmpty == false)
            #expect(try Traffic.udpEcho(from: pod, to: "10.250.11.1", in: setup.sandbox.node))

            let del = try setup.del(pod, ifname, identity, cniArgs: cniArgs, capArgs: capArgs)
            #expect(del.succeeded, "\(del)")
            #expect(try setup.rules(mentioning: [highest.mac]).isEmpty)
        }
    }
}
