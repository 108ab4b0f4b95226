import Foundation
import Testing

/// `tuning` chained after `ptp`, driven through libcni like Multus does (CNI_ARGS with the K8S_*
/// keys, the `mac` capability, `net1` and KubeVirt `pod<11 hex>` interface names).
extension BlackBox {
    @Suite struct Tuning {
        static let ifnames = [IfName.multus, IfName.kubevirt()]

        /// (a) The documented ptp + tuning example: MAC from runtimeConfig, IFNAME sysctl, traffic.
        @Test(arguments: Implementation.enabled, ifnames)
        func customMACFromCapabilityArgs(_ impl: Implementation, _ ifname: String) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, impl)
            let network = try Fixtures.install("ptp-mac.conflist", in: sandbox)
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let mac = "c2:11:22:33:44:55"

            let add = try cni.add(network: network, netns: pod, ifname: ifname, pod: identity, capArgs: ["mac": mac])
            try #require(add.succeeded, "\(add)")
            #expect(add.sandboxInterface(ifname)?["mac"] as? String == mac, "\(add)")
            #expect(try NetState(netns: pod).link(ifname)?.mac == mac)
            #expect(try NetState(netns: pod).sysctl("net.ipv4.conf.\(ifname).arp_filter") == "1")

            let ips = add.json?["ips"] as? [[String: Any]]
            let gateway = try #require(ips?.first?["gateway"] as? String, "\(add)")
            #expect(try Traffic.udpEcho(from: pod, to: gateway, in: sandbox.node), "pod -> node over ptp")

            let check = try cni.check(network: network, netns: pod, ifname: ifname, pod: identity, capArgs: ["mac": mac])
            switch impl {
            case .ours:
                #expect(check.succeeded, "\(check)")
            case .reference:
                // Reference 1.1.1 does not substitute IFNAME in CHECK: it reads
                // /proc/sys/net/ipv4/conf/IFNAME/arp_filter and fails with code 999.
                #expect(!check.succeeded && check.errorCode == 999, "\(check)")
            }

            let del = try cni.del(network: network, netns: pod, ifname: ifname, pod: identity, capArgs: ["mac": mac])
            #expect(del.succeeded, "\(del)")
            #expect(try NetState(netns: pod).link(ifname) == nil)
        }

        enum MACSource: String, CaseIterable, Sendable, CustomTestStringConvertible {
            case config, cniArgs, runtimeConfig, argsCNI
            var testDescription: String { rawValue }
            var mac: String {
                switch self {
                case .config: "c2:00:00:00:0b:01"
                case .cniArgs: "c2:00:00:00:0b:02"
                case .runtimeConfig: "c2:00:00:00:0b:03"
                case .argsCNI: "c2:00:00:00:0b:04"
                }
            }
        }

        /// (b) Precedence config < CNI_ARGS MAC < runtimeConfig < args.cni: every source up to
        /// `highest` is given a different MAC, and the highest must win.
        @Test(arguments: Implementation.enabled, MACSource.allCases)
        func macPrecedence(_ impl: Implementation, _ highest: MACSource) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, impl)
            let given = MACSource.allCases.prefix { $0 != highest } + [highest]
            let network = try Fixtures.install("ptp-mac.conflist", in: sandbox) { plugins in
                plugins.edit("tuning") { tuning in
                    tuning["mac"] = MACSource.config.mac
                    if given.contains(.argsCNI) { tuning["args"] = ["cni": ["mac": MACSource.argsCNI.mac]] }
                }
            }
            let pod = try sandbox.pod()
            let identity = PodIdentity.random()
            let cniArgs = identity.cniArgs(extra: given.contains(.cniArgs) ? ["MAC=\(MACSource.cniArgs.mac)"] : [])
            let capArgs: [String: Any]? = given.contains(.runtimeConfig) ? ["mac": MACSource.runtimeConfig.mac] : nil

            let add = try cni.add(network: network, netns: pod, pod: identity, cniArgs: cniArgs, capArgs: capArgs)
            try #require(add.succeeded, "\(add)")
            #expect(try NetState(netns: pod).link(IfName.multus)?.mac == highest.mac)
            #expect(add.sandboxInterface(IfName.multus)?["mac"] as? String == highest.mac, "\(add)")

            let del = try cni.del(network: network, netns: pod, pod: identity, cniArgs: cniArgs, capArgs: capArgs)
            #expect(del.succeeded, "\(del)")
        }

        /// (f) DEL is idempotent and succeeds when the pod netns is already gone.
        @Test(arguments: Implementation.enabled)
        func delTwiceAndAfterNetnsIsGone(_ impl: Implementation) throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, impl)
            let network = try Fixtures.install("ptp-mac.conflist", in: sandbox)
            let identity = PodIdentity.random()
            let capArgs = ["mac": "c2:11:22:33:44:66"]

            let pod = try sandbox.pod()
            try #require(try cni.add(network: network, netns: pod, pod: identity, capArgs: capArgs).succeeded)
            let first = try cni.del(network: network, netns: pod, pod: identity, capArgs: capArgs)
            #expect(first.succeeded, "\(first)")
            let second = try cni.del(network: network, netns: pod, pod: identity, capArgs: capArgs)
            #expect(second.succeeded, "\(second)")

            let pod2 = try sandbox.pod("pod2")
            let identity2 = PodIdentity.random()
            try #require(try cni.add(network: network, netns: pod2, pod: identity2, capArgs: capArgs).succeeded)
            try sandbox.deleteNamespace(pod2)
            let gone = try cni.del(network: network, netns: pod2, pod: identity2, capArgs: capArgs)
            #expect(gone.succeeded, "\(gone)")
        }
    }
}
