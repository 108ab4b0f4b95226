import CNIKit
import Netlink

/// STATUS: ready when the node's netlink answers and, in the standalone flow, the master NIC exists.
struct MacvtapStatus {
    let call: Call
    let config: MacvtapConfig

    func run() throws {
        let links: [Link]
        do {
            links = try RouteSocket().links()
        } catch {
            throw CNIError(.pluginNotAvailable, "netlink does not answer in the node's namespace: \(error)")
        }
        if config.device == nil, let master = config.master, !master.isEmpty, !links.contains(where: { $0.name == master }) {
            throw CNIError(.pluginNotAvailable, "master: \"\(master)\" does not exist in the node's network namespace; no macvtap can be created until it does")
        }
    }
}
