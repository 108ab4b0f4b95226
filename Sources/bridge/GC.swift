import Attach
import CNIKit

/// GC: the ports of attachments the runtime no longer lists as valid lose their IPAM lease, veth,
/// spoof-check and masquerade rules and record.
struct BridgeGC {
    let call: Call
    let config: BridgeConfig

    func run() throws {
        try BridgedPod.collect(call, records: try config.records(network: call.conf.name, policy: call.policy),
                               alsoRemove: BridgeMasquerade.removeLeftover)
    }
}
