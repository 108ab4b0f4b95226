import Attach
import CNIKit
import Netlink

/// DEL: release the IPAM lease, remove the veth through its node-side name (so a renamed or vanished
/// pod interface, or a vanished namespace, leaves nothing behind), its spoof-check rules and the record. Every "already
/// gone" is success. Only the keys DEL needs are read: a config ADD refused still deletes cleanly.
struct BridgeDel {
    let call: Call
    let config: BridgeConfig

    func run() throws {
        let environment = call.environment
        let dataDir = config.recordDirectory
        if call.conf.ipam != nil { try IPAM.del(call) }

        let node = try RouteSocket()
        let hostName = HostVethName.derive(containerID: environment.containerID, ifname: environment.ifname)
        if try node.link(named: hostName) != nil {
            try PodVeth.deleteIfPresent(hostName, in: node)
        } else if let pod = PodNamespace.openIfPresent(environment) {
            // Attached by another bridge plugin (random node-side name): remove the pod end, if it is a veth.
            let podSocket = try RouteSocket(in: pod)
            if try podSocket.link(named: environment.ifname)?.kind == "veth" {
                try PodVeth.deleteIfPresent(environment.ifname, in: podSocket)
            }
        }
        // Whatever the config says now: rules of an earlier config must not outlive the pod.
        try SpoofCheck.remove(hostVeth: hostName, on: try NftSocket())
        try StateStore(directory: dataDir).remove(
            name: AttachmentRecord.fileName(containerID: environment.containerID, ifname: environment.ifname))
    }
}
