import Foundation
import Testing

/// (7) An ADD whose IPAM fails (after the veth and the spoof-check rules would have been made)
/// leaves nothing of that pod: no host veth, no pod interface, no rules, no allocation. The pod
/// that was already there keeps working.
extension BlackBox {
    @Suite struct BridgeRollback {
        enum IPAMFailure: String, CaseIterable, Sendable, CustomTestStringConvertible {
            /// A /30: the gateway takes .1, the first pod .2, the second pod finds no address.
            case exhausted
            /// rangeStart outside the subnet: host-local refuses the config on every ADD.
            case invalidRange
            var testDescription: String { rawValue }

            func edit(_ bridge: inout [String: Any]) {
                var ipam = bridge["ipam"] as? [String: Any] ?? [:]
                switch self {
                case .exhausted: ipam["subnet"] = "10.250.11.0/30"
                case .invalidRange: ipam["rangeStart"] = "10.250.99.10"
                }
                bridge["ipam"] = ipam
            }
        }

        @Test(arguments: Implementation.enabled, IPAMFailure.allCases)
        func failedIPAMLeavesNothing(_ impl: Implementation, _ failure: IPAMFailure) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist") { failure.edit(&$0) }
            let node = setup.sandbox.node
            let first = try setup.sandbox.pod("pod1")
            let firstIdentity = PodIdentity.random()
            if failure == .exhausted {
                let add = try setup.add(first, IfName.multus, firstIdentity)
                try #require(add.succeeded, "\(add)")
            }
            let portsBefore = try setup.ports(), rulesBefore = try Nft.rules(in: node)
            let allocationsBefore = setup.allocations()

            let pod = try setup.sandbox.pod("pod2")
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()
            let add = try setup.add(pod, ifname, identity)
            #expect(!add.succeeded && add.errorCode != nil, "\(add)")
            #expect(setup.allocations() == allocationsBefore, "allocation left")
            let ports = try setup.ports(), rules = try Nft.rules(in: node)
            let podSide = try NetState(netns: pod).link(ifname)
            switch impl {
            case .ours:
                #expect(ports == portsBefore, "host veth left on the bridge")
                #expect(podSide == nil, "pod interface left")
                #expect(rules == rulesBefore, "spoof-check rules left")
            case .reference:
                // 1.1.1 leaks the veth pair (pod side down, host side on the bridge): it only undoes
                // IPAM when a later step fails. Its spoof-check rules come after IPAM: none leak.
                #expect(ports.count == portsBefore.count + 1, "reference now removes the veth?")
                #expect(podSide != nil)
                #expect(rules == rulesBefore)
            }

            if failure == .exhausted {
                // DEL after a failed ADD (what the runtime does next) succeeds and cleans up. (With
                // the invalid range, host-local refuses DEL too: code 999 "invalid range set 0: ...".)
                let del = try setup.del(pod, ifname, identity)
                #expect(del.succeeded, "\(del)")
                #expect(try setup.ports() == portsBefore)
                #expect(try Traffic.udpEcho(from: first, to: "10.250.11.1", in: node), "the first pod is unharmed")
                #expect(try setup.del(first, IfName.multus, firstIdentity).succeeded)
            }
        }
    }
}
