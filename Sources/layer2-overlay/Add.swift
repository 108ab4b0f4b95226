import Attach
import CNIKit
import Netlink

/// ADD: under the network's lock, the bridge and the tunnel set reconciled with the peers; then the
/// pod's port, addresses, spoof check and record, each undone if a later step fails.
struct OverlayAdd {
    let call: Call
    let plan: OverlayPlan

    func run() throws -> Result {
        let pod = try PodNamespace.open(call.environment)
        let node = try RouteSocket()
        let peers = try plan.peers()
        return try Rollback.run { rollback in
            // The pod's port joins while the lock is held: a GC that sees no attachment of the network removes
            // the bridge and its tunnels under the same lock, and must not do so between our two steps.
            var result = try NodeBridge.withLock(plan.bridge) {
                let underlay = try Underlay.resolve(peers: peers, configuredMTU: plan.configuredMTU, node: node)
                // The bridge's MTU is left to the kernel, which keeps it at the smallest of its ports' (all of
                // them `mtu`): setting it by hand would pin it, and it would outlive its last port.
                let bridge = try NodeBridge.ensure(.init(name: plan.bridge, mtu: underlay.mtu, promiscuous: false), on: node,
                                                   rollback: rollback)
                try TunnelSet(vni: plan.vni, port: plan.port, mtu: underlay.mtu)
                    .reconcile(bridge: bridge, peers: underlay.remotePeers, node: node)
                var result = try BridgedPod.connect(.init(bridge: bridge, mtu: underlay.mtu, mac: plan.mac, podUp: true),
                                                    call, node: node, pod: pod, records: plan.records, rollback: rollback)
                // One MTU on the bridge, the tunnels and both veth ends (results of 1.1.0 carry it).
                for index in result.interfaces.indices { result.interfaces[index].mtu = Int(underlay.mtu) }
                return result
            }
            if plan.hasIPAM {
                let leased = try BridgedPod.lease(call, rollback: rollback)
                (result.ips, result.routes, result.dns) = (leased.ips, leased.routes, leased.dns)
                try PodAddressing.configure(result, pod: pod, ifname: call.environment.ifname, enableDAD: plan.enableDAD)
            }
            if plan.macSpoofCheck || plan.ipSpoofCheck {
                try BridgedPod.protect(result, call, ipSpoofCheck: plan.ipSpoofCheck, linkLocal: plan.linkLocal,
                                        rollback: rollback)
            }
            try BridgedPod.finish(&result, call, podUp: true, records: plan.records, node: node)
            return result
        }
    }
}
