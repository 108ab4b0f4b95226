import Attach
import CNIKit
import Netlink

/// GC: every attachment this plugin recorded that the runtime no longer lists as valid loses its
/// IPAM lease (an IPAM DEL for that attachment), its host veth, its spoof-check rules and its record.
struct BridgeGC {
    let call: Call
    let config: BridgeConfig

    func run() throws {
        let store = StateStore(directory: config.recordDirectory)
        let valid = Set((call.conf.validAttachments ?? []).map { AttachmentRecord.fileName(containerID: $0.containerID, ifname: $0.ifname) })
        let node = try RouteSocket()
        for name in try store.names() where name.hasSuffix(".json") && !valid.contains(name) {
            guard let bytes = try store.read(name: name), let record = AttachmentRecord.decode(bytes) else { continue }
            if call.conf.ipam != nil { try IPAM.release(call, containerID: record.containerID, ifname: record.ifname) }
            try PodVeth.deleteIfPresent(record.hostVeth, in: node)
            try SpoofCheck.remove(hostVeth: record.hostVeth, on: try NftSocket())
            try store.remove(name: name)
        }
    }
}
