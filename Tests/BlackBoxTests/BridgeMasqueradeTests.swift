import Foundation
import Testing

/// `ipMasq: true` (ours: nftables through netlink; the reference 1.1.1 needs the iptables binary):
/// a pod reaches a host beyond the node that has no route back to the pod subnet only when its
/// traffic is masqueraded, and DEL takes the rules away.
extension BlackBox {
    @Suite struct BridgeMasquerade {
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours-only"), arguments: [true, false])
        func podReachesBeyondTheNodeOnlyWhenMasqueraded(_ ipMasq: Bool) throws {
            let setup = try BridgeSetup(.ours, "bridge-host-local.conflist") {
                $0["isDefaultGateway"] = true
                $0["ipMasq"] = ipMasq
            }
            // "outside": a host on the node's uplink, 192.0.2.2, with no route back to 10.250.10.0/24.
            let outside = try setup.sandbox.pod("out")
            let node = setup.sandbox.node
            try Shell.must(["ip", "-n", node, "link", "add", "uplink0", "type", "veth", "peer", "name", "eth0", "netns", outside])
            try Shell.must(["ip", "-n", node, "addr", "add", "192.0.2.1/24", "dev", "uplink0"])
            try Shell.must(["ip", "-n", node, "link", "set", "uplink0", "up"])
            try Shell.must(["ip", "-n", outside, "addr", "add", "192.0.2.2/24", "dev", "eth0"])
            try Shell.must(["ip", "-n", outside, "link", "set", "eth0", "up"])

            let pod = try setup.sandbox.pod("pod1")
            let identity = PodIdentity.random()
            let add = try setup.add(pod, IfName.multus, identity)
            try #require(add.succeeded, "\(add)")
            #expect(try Traffic.udpEcho(from: pod, to: "192.0.2.2", in: outside) == ipMasq,
                    "masquerade \(ipMasq ? "on: the outside host must answer the node's address" : "off: no route back")")
            #expect(try Traffic.udpEcho(from: pod, to: "10.250.10.1", in: node), "the gateway is reachable either way")
            let check = try setup.check(pod, IfName.multus, identity)
            #expect(check.succeeded, "\(check)")

            #expect(try setup.del(pod, IfName.multus, identity).succeeded)
            let ruleset = try Shell.must(["ip", "netns", "exec", node, "nft", "list", "ruleset"]).stdout
            #expect(!ruleset.contains("swiftcni-nat"), "DEL removes the masquerade table with its last pod:\n\(ruleset)")
        }
    }
}
