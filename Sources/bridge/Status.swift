import CNIKit
import Netlink

/// STATUS: ready when the node's netlink answers and the IPAM plugin (if any) is there and ready.
struct BridgeStatus {
    let call: Call

    func run() throws {
        do {
            _ = try RouteSocket().links()
        } catch {
            throw CNIError(.pluginNotAvailable, "netlink does not answer in the node's namespace: \(error)")
        }
        try IPAM.status(call)
    }
}
