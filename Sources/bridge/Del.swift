import Attach
import CNIKit

/// DEL: only the keys DEL needs are read, so a config ADD refused still deletes cleanly.
struct BridgeDel {
    let call: Call
    let config: BridgeConfig

    func run() throws {
        try BridgedPod.detach(call, records: config.records(network: call.conf.name))
        try BridgeMasquerade(call: call).remove()
    }
}
