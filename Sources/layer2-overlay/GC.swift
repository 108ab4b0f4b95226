import Attach
import CNIKit
import Netlink
import OverlayCore

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
            try NodeBridge.removeIfUnused(plan.bridge, ownedBy: plan.owner, adoptUnmarked: plan.adoptUnmarkedBridge, on: node)
            try SegmentStore().removeIfGone(bridge: plan.bridge, node: node)
        }
    }
}
