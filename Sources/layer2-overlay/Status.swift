import CNIKit
import Netlink
import OverlayCore

/// STATUS: ready when peers are configured and the underlay has a route to them; then IPAM's readiness.
struct OverlayStatus {
    let call: Call
    let plan: OverlayPlan

    func run() throws {
        do {
            _ = try Underlay.resolve(peers: try plan.peers.resolve(), configuredMTU: plan.configuredMTU, node: try RouteSocket())
        } catch let error as CNIError {
            throw CNIError(.pluginNotAvailable, error.msg, details: error.details)
        }
        try IPAM.status(call)
    }
}
