import Attach
import CNIKit
import Netlink

/// GC: the ports of attachments the runtime no longer lists as valid lose their veth, spoof-check and
/// masquerade rules and record. IPAM leases are the IPAM plugin's to collect.
struct BridgeGC {
    let call: Call
    let config: BridgeConfig

    func run() throws {
        try BridgedPod.collect(call, records: try config.records(network: call.conf.name, policy: call.policy)) { record in
            try Masquerade.remove(id: record.hostVeth, addresses: [], on: try NftSocket())
        }
    }
}
