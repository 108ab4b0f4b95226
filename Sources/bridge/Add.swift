import Attach
import CNIKit
import Netlink
internal import Glibc

/// ADD: the network's leftovers of pods gone without a DEL, then bridge, pod port (and its VLANs),
/// addresses and gateway, spoof check, record — each step undone if a later one fails.
struct BridgeAdd {
    let call: Call
    let plan: BridgePlan

    func run() throws -> Result {
        let pod = try PodNamespace.open(call.environment)
        let node = try RouteSocket()
        let vlans = BridgePortVLANs(vlans: plan.vlans, bridge: plan.bridge)
        return try Rollback.run { rollback in
            let bridge = try NodeBridge.withLock(plan.bridge) {
                try BridgedPod.sweep(call, records: plan.records, node: node, alsoRemove: BridgeMasquerade.removeLeftover)
                let bridge = try ensureBridge(node: node, rollback: rollback)
                if !plan.vlans.isEmpty { try vlans.checkFiltering(node: node, log: call.log) }
                return bridge
            }
            // With VLANs the pod end comes up only once its port has them. Without `mtu` the veth takes the
            // bridge's (ours: the reference leaves it at the kernel's 1500, which pulls a jumbo-frame bridge down).
            let podUp = !plan.disableContainerInterface
            let port = BridgedPod.Port(bridge: bridge, mtu: plan.mtu ?? bridge.mtu, mac: plan.mac, podUp: podUp && plan.vlans.isEmpty,
                                       hairpin: plan.hairpin, isolated: plan.portIsolation)
            var result = try BridgedPod.connect(port, call, node: node, pod: pod, records: plan.records, rollback: rollback)
            let hostVeth = result.interfaces[1].name
            if !plan.vlans.isEmpty {
                try vlans.configure(hostVeth: hostVeth, node: node)
                if podUp { try RouteSocket(in: pod).setLink(call.environment.ifname, LinkChange(up: true)) }
            }
            if plan.hasIPAM {
                let layer3 = BridgeLayer3(call: call, plan: plan)
                let leased = layer3.withGateways(try BridgedPod.lease(call, rollback: rollback))
                (result.ips, result.routes, result.dns) = (leased.ips, leased.routes, leased.dns)
                try PodAddressing.configure(result, pod: pod, ifname: call.environment.ifname, enableDAD: plan.enableDAD)
                if let gateway = try layer3.configureGateways(result, hostVeth: hostVeth, node: node, rollback: rollback) {
                    result.interfaces.append(gateway)
                }
                if plan.ipMasq { try BridgeMasquerade(call: call).install(result, rollback: rollback) }
            }
            if plan.macSpoofCheck || plan.ipSpoofCheck {
                try BridgedPod.protect(result, call, ipSpoofCheck: plan.ipSpoofCheck, linkLocal: plan.linkLocal,
                                        nodeInterfaces: [plan.vlanGateway].compactMap { $0 }, rollback: rollback)
            }
            try BridgedPod.finish(&result, call, podUp: podUp, records: plan.records, node: node)
            return result
        }
    }

    /// The bridge, made with `vlan_filtering` on when the config has VLANs (as the reference does).
    private func ensureBridge(node: borrowing RouteSocket, rollback: Rollback) throws -> Link {
        let spec = NodeBridge.Spec(name: plan.bridge, mtu: plan.mtu, promiscuous: plan.promiscuous,
                                   vlanFiltering: !plan.vlans.isEmpty, owner: plan.owner, sharing: .withBridgeNetworks)
        do {
            return try NodeBridge.ensure(spec, on: node, rollback: rollback)
        } catch let error as NetlinkError where error.errno == EOPNOTSUPP && spec.vlanFiltering {
            throw BridgePortVLANs.unsupported(plan.bridge, "\(error)")
        }
    }
}
