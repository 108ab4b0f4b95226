import Attach
import CNIKit
import Netlink

/// How one segment stands after a reconcile: what overlay health reports.
public struct SegmentReport: Equatable, Sendable {
    public var network: String
    public var bridge: String
    /// The peers listed (`peers` and `peersFile`), this node included.
    public var peers: Int
    /// Geneve ports of the bridge now.
    public var tunnels: Int
    /// Other nodes the node has no route to.
    public var unreachable: [IPAddress]
    /// Why the reconcile failed; nil when it succeeded.
    public var error: String?
}

/// Makes every overlay segment of this node match its peers now, with the code path ADD uses (the peer
/// list, the underlay, `TunnelSet.reconcile`) under the same per-network lock: the node agent calls it
/// when the cluster's node list changes, so pods already running reach a new node's pods, and a removed
/// node's tunnels go, without any CNI call. A record whose bridge is gone (or no longer carries the
/// network's mark) is removed, and its network left alone.
public enum SegmentReconciler {
    public static func reconcileAll(policy: NodePolicy) throws(CNIError) -> [SegmentReport] {
        let store = try SegmentStore()
        return try store.all().compactMap { segment in reconcile(segment, policy: policy, store: store) }
    }

    /// Nil when the segment no longer exists on the node.
    static func reconcile(_ segment: OverlaySegment, policy: NodePolicy, store: SegmentStore) -> SegmentReport? {
        var report = SegmentReport(network: segment.network, bridge: segment.bridge, peers: 0, tunnels: 0, unreachable: [])
        do {
            return try NodeBridge.withLock(segment.bridge) { () throws -> SegmentReport? in
                let node = try RouteSocket()
                guard let bridge = try node.link(named: segment.bridge), bridge.kind == "bridge",
                      OwnerMark.of(bridge) == segment.owner else {
                    try store.remove(bridge: segment.bridge)
                    return nil
                }
                let peers = try segment.peerList(policy: policy).resolve()
                report.peers = peers.count
                let underlay = try Underlay.resolve(peers: peers, configuredMTU: segment.mtu, node: node)
                try segment.tunnels(mtu: underlay.mtu).reconcile(bridge: bridge, peers: underlay.remotePeers, node: node)
                report.tunnels = try node.links().filter { $0.kind == "geneve" && $0.masterIndex == bridge.index }.count
                report.unreachable = try underlay.remotePeers.filter { try node.route(to: $0) == nil }
                return report
            }
        } catch {
            report.error = CNIError(converting: error).description
            return report
        }
    }
}
