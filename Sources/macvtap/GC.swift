import Attach
import CNIKit
import Netlink

/// GC: every attachment recorded for this network that the runtime no longer lists as valid is undone as DEL would:
/// a macvtap we created is deleted (in its pod, if the very namespace ADD saw still exists, and on the node), a
/// device plugin's is given back to the node; then its record goes.
struct MacvtapGC {
    let call: Call
    let config: MacvtapConfig

    func run() throws {
        let records = try config.records(network: call.conf.name, policy: call.policy)
        let node = try RouteSocket()
        for (file, record) in try records.stale(keeping: call.conf.validAttachments ?? []) {
            if let pod = PodNamespace.openIfSame(path: record.netns, identity: record.netnsID) {
                let socket = try RouteSocket(in: pod)
                if let link = try Handover.find([record.ifname, record.nodeName], in: socket) {
                    if record.devicePlugin {
                        try Handover.giveBack(link, as: record.nodeName, original: record.original, podSocket: socket, log: call.log)
                    } else {
                        try Handover.deleteIfPresent(link.name, in: socket)
                    }
                }
            }
            if !record.devicePlugin, try node.link(named: record.nodeName)?.kind == "macvtap" {
                try Handover.deleteIfPresent(record.nodeName, in: node)
            }
            try records.remove(file: file)
        }
    }
}
