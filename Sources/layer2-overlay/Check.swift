import Attach
import CNIKit
import Netlink

/// CHECK: the pod's port as ADD made it, and every current peer's tunnel with the right VNI, remote,
/// port, MTU and isolation. Every drift is listed in one error.
struct OverlayCheck {
    let call: Call
    let plan: OverlayPlan

    func run() throws {
        let environment = call.environment
        guard let previous = call.conf.prevResult else {
            throw CNIError(.invalidConfig, "prevResult: CHECK needs the result of ADD; the runtime passes it (is the cached result missing?)")
        }
        if plan.hasIPAM { try IPAM.check(call) }
        let pod = try PodNamespace.open(environment)
        let node = try RouteSocket()
        let underlay = try Underlay.resolve(peers: try plan.peers(), configuredMTU: plan.configuredMTU, node: node)
        guard let bridge = try node.link(named: plan.bridge), bridge.kind == "bridge" else {
            throw CNIError(.invalidConfig, "CHECK: bridge \(plan.bridge) of the overlay is missing from the node (or is not a bridge)")
        }
        var drift = try TunnelSet(vni: plan.vni, port: plan.port, mtu: underlay.mtu)
            .drift(bridge: bridge, peers: underlay.remotePeers, node: node)
        if bridge.mtu != underlay.mtu { drift.append("bridge \(plan.bridge) MTU is \(bridge.mtu), wanted \(underlay.mtu)") }
        drift += try BridgedPod.drift(previous, call, port: .init(bridge: bridge, mtu: underlay.mtu, mac: plan.mac, podUp: true),
                                      spoofCheck: plan.macSpoofCheck || plan.ipSpoofCheck, node: node, pod: pod)
        guard drift.isEmpty else {
            throw CNIError(.invalidConfig, "CHECK: the overlay attachment of \(environment.ifname) drifted: " + drift.joined(separator: "; "))
        }
    }
}
