import Attach
import CNIKit
import Netlink

/// GC: pod leftovers of attachments no longer valid go; when no attachment of the network is left on
/// the node, so do its bridge and tunnels.
struct OverlayGC {
    let call: Call
    let plan: OverlayPlan

    func run() throws {
        try BridgedPod.collect(call, records: plan.records)
        try NodeBridge.withLock(plan.bridge) {
            guard try plan.records.stale(keeping: []).isEmpty else { return }
            let node = try RouteSocket()
            guard let bridge = try node.link(named: plan.bridge), bridge.kind == "bridge" else { return }
            for link in try node.links() where link.masterIndex == bridge.index {
                guard link.kind == "geneve" else { return }  // someone else's port: keep the bridge
                try node.deleteLink(link.name)
            }
            try node.deleteLink(plan.bridge)
        }
    }
}
