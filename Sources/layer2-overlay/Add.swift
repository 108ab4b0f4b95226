import Attach
import CNIKit
import Netlink
import OverlayCore

/// ADD: under the network's lock, the leftovers of the network's pods gone without a DEL, the bridge and
/// the tunnel set reconciled with the peers (tunnels of peers no longer listed go); then the pod's port,
/// addresses, spoof check and record, each undone if a later step fails.
struct OverlayAdd {
    let call: Call
    let plan: OverlayPlan

    func run() throws -> Result {
        let pod = try PodNamespace.open(call.environment)
        let node = try RouteSocket()
        let peers = try plan.peers.resolve()
        let segments = try SegmentStore()
        return try Rollback.run { rollback in
            // Runs last, after a bridge this ADD made is gone again: its segment record goes with it.
            let bridgeName = plan.bridge
            rollback.push("remove the segment record of \(bridgeName) if the bridge is gone") {
                try NodeBridge.withLock(bridgeName) { try segments.removeIfGone(bridge: bridgeName, node: try RouteSocket()) }
            }
            // The pod's port joins while the lock is held: a GC that sees no attachment of the network removes
            // the bridge and its tunnels under the same lock, and must not do so between our two steps.
            var result = try NodeBridge.withLock(plan.bridge) {
                try BridgedPod.sweep(call, records: plan.records, node: node)
                let underlay = try Underlay.resolve(peers: peers, configuredMTU: plan.configuredMTU, node: node)
                try refuseNodeLocalIPAM(underlay)
                try VNIClaim(owner: plan.owner).refuseOthers(node: node)
                // The bridge's MTU is left to the kernel, which keeps it at the smallest of its ports' (all of
                // them `mtu`): setting it by hand would pin it, and it would outlive its last port.
                let bridge = try NodeBridge.ensure(.init(name: plan.bridge, mtu: underlay.mtu, promiscuous: false, owner: plan.owner,
                                                         sharing: .networkOnly(adoptUnmarked: plan.adoptUnmarkedBridge)),
                                                   on: node, rollback: rollback)
                try plan.segment.tunnels(mtu: underlay.mtu).reconcile(bridge: bridge, peers: underlay.remotePeers, node: node)
                try segments.save(plan.segment)
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

    /// host-local keeps its allocations per node: with other nodes on the segment it would hand one address
    /// to pods on several of them.
    private func refuseNodeLocalIPAM(_ underlay: Underlay) throws(CNIError) {
        guard let type = plan.nodeLocalIPAM, !underlay.remotePeers.isEmpty else { return }
        throw CNIError(.invalidConfig, "ipam: \(type) allocates per node, and this network's segment spans \(underlay.remotePeers.count + 1) nodes: "
            + "it would give one address to pods on several of them; use no ipam (L2 only, e.g. DHCP from a VM on the segment), "
            + "static, or a cluster-wide IPAM (e.g. whereabouts), or let the node admin allow it (overlay.nodeLocalIPAM)")
    }
}
