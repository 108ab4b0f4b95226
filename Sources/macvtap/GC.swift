import Attach
import CNIKit
import Netlink

/// GC: every attachment recorded here that the runtime no longer lists as valid is undone as DEL would:
/// a macvtap we created is deleted (in its pod, if that namespace still exists, and on the node), a
/// device plugin's is given back to the node; then its record goes.
struct MacvtapGC {
    let call: Call
    let config: MacvtapConfig

    func run() throws {
        let store = StateStore(directory: config.recordDirectory)
        let valid = Set((call.conf.validAttachments ?? []).map { AttachmentRecord.fileName(containerID: $0.containerID, ifname: $0.ifname) })
        let node = try RouteSocket()
        for name in try store.names() where name.hasSuffix(".json") && !valid.contains(name) {
            guard let bytes = try store.read(name: name), let record = AttachmentRecord.decode(bytes) else { continue }
            if let pod = try? NetNS(path: record.netns) {
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
            try store.remove(name: name)
        }
    }
}
