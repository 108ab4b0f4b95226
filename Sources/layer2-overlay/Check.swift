import Attach
import CNIKit
import Netlink
import OverlayCore

/// CHECK: the pod's port as ADD made it, and every current peer's tunnel with the right VNI, remote,
/// port, MTU and isolation. Every drift is listed in one error.
struct OverlayCheck {
    let call: Call
    let plan: OverlayPlan

    func run() throws {
        try BridgedPod.check(call, hasIPAM: plan.hasIPAM, attachment: "overlay attachment", drift: drift)
    }

    private func drift(_ previous: Result, node: borrowing RouteSocket, pod: borrowing NetNS) throws -> [String] {
        let underlay = try Underlay.resolve(peers: try plan.peers.resolve(), configuredMTU: plan.configuredMTU, node: node)
        guard let bridge = try node.link(named: plan.bridge), bridge.kind == "bridge" else {
            throw CNIError(.invalidConfig, "CHECK: bridge \(plan.bridge) of the overlay is missing from the node (or is not a bridge)")
        }
        var drift = try plan.segment.tunnels(mtu: underlay.mtu).drift(bridge: bridge, peers: underlay.remotePeers, node: node)
        if bridge.mtu != underlay.mtu { drift.append("bridge \(plan.bridge) MTU is \(bridge.mtu), wanted \(underlay.mtu)") }
        drift += try BridgedPod.drift(previous, call, port: .init(bridge: bridge, mtu: underlay.mtu, mac: plan.mac, podUp: true),
                                      spoofCheck: plan.macSpoofCheck || plan.ipSpoofCheck, node: node, pod: pod)
        return drift
    }
}
