import Attach
import CNIKit

/// DEL: only the keys DEL needs are read, so a config ADD refused still deletes cleanly.
struct BridgeDel {
    let call: Call
    let config: BridgeConfig

    func run() throws {
        try BridgedPod.detach(call, records: try config.records(network: call.conf.name, policy: call.policy))
        try BridgeMasquerade(call: call).remove()
    }
}
