import Attach
import CNIKit

/// DEL: the pod's port goes; the bridge and tunnels stay for the network's other pods (GC removes them
/// with the last one).
struct OverlayDel {
    let call: Call
    let config: OverlayConfig

    func run() throws {
        try BridgedPod.detach(call, records: try config.records(network: call.conf.name, policy: call.policy))
    }
}
