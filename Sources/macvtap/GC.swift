import Attach
import CNIKit
import Netlink

/// GC: every attachment recorded for this network that the runtime no longer lists as valid is undone as DEL would:
/// a macvtap we created is deleted (in its pod, if the very namespace ADD saw still exists, and on the node), a
/// device plugin's is given back to the node; then its record goes. ADD's sweep does the same for attachments
/// whose pod namespace is gone (`Leftovers`).
struct MacvtapGC {
    let call: Call
    let config: MacvtapConfig

    func run() throws {
        let records = try config.records(network: call.conf.name, policy: call.policy)
        let node = try RouteSocket()
        for (file, record) in try records.stale(keeping: call.conf.validAttachments ?? []) {
            try Self.undo(record, file: file, records: records, node: node, log: call.log)
        }
    }

    static func undo(_ record: AttachmentRecord, file: String, records: RecordStore<AttachmentRecord>,
                     node: borrowing RouteSocket, log: Log) throws {
        if let pod = PodNamespace.openIfSame(path: record.netns, identity: record.netnsID) {
            let socket = try RouteSocket(in: pod)
            if let link = try Handover.find([record.ifname, record.nodeName], in: socket) {
                if record.devicePlugin {
                    try Handover.giveBack(link, as: record.nodeName, original: record.original, podSocket: socket, log: log)
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
