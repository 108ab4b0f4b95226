import Attach
import CNIKit
import Netlink

/// DEL: the macvtap leaves the pod — deleted when we created it, given back to the node under the
/// device plugin's name when the device plugin did — and the record goes. A leftover temporary macvtap
/// on the node is removed too. Every "already gone" (netns, link, record) is success. Only the keys
/// DEL needs are read: a config ADD refused still deletes cleanly.
struct MacvtapDel {
    let call: Call
    let config: MacvtapConfig

    func run() throws {
        let environment = call.environment
        let records = try config.records(network: call.conf.name, policy: call.policy)
        let record = try Self.record(in: records, environment)
        let nodeName: String
        let devicePlugin: Bool
        if let record {
            (nodeName, devicePlugin) = (record.nodeName, record.devicePlugin)
        } else if let deviceID = config.device {
            (nodeName, devicePlugin) = (NodeName.devicePlugin(deviceID), true)
        } else {
            (nodeName, devicePlugin) = (NodeName.standalone(containerID: environment.containerID, ifname: environment.ifname), false)
        }

        if let pod = PodNamespace.openIfPresent(environment) {
            let socket = try RouteSocket(in: pod)
            if let link = try Handover.find([environment.ifname, nodeName], in: socket) {
                if devicePlugin {
                    try Handover.giveBack(link, as: nodeName, original: record?.original ?? .init(), podSocket: socket, log: call.log)
                } else {
                    try Handover.deleteIfPresent(link.name, in: socket)
                }
            }
        }
        if !devicePlugin {
            // An ADD that died between creating and moving the macvtap left it on the node.
            let node = try RouteSocket()
            if try node.link(named: nodeName)?.kind == "macvtap" { try Handover.deleteIfPresent(nodeName, in: node) }
        }
        try records.remove(containerID: environment.containerID, ifname: environment.ifname)
    }

    /// The attachment's record; nil when there is none or it does not decode, which must not block DEL
    /// (the names are then derived as without one). An unreadable one, a symlink say, is an error.
    private static func record(in records: RecordStore<AttachmentRecord>, _ environment: Environment) throws(CNIError) -> AttachmentRecord? {
        do {
            return try records.load(containerID: environment.containerID, ifname: environment.ifname)
        } catch where error.code == .decodeFailure {
            return nil
        }
    }
}
