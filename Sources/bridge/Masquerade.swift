import Attach
import CNIKit
import Netlink

/// `ipMasq`: traffic from the pod's addresses leaving its subnet is masqueraded on the node, in
/// nftables through netlink (table `inet swiftcni-nat`), keyed by the pod's node-side veth.
struct BridgeMasquerade {
    let call: Call

    private var hostVeth: String {
        HostVethName.derive(containerID: call.environment.containerID, ifname: call.environment.ifname)
    }
    private var owner: String { "\(call.environment.containerID)/\(call.environment.ifname) (\(call.conf.name))" }

    func install(_ result: Result, rollback: Rollback) throws {
        let addresses = result.ips.compactMap { IPNetwork($0.address) }
        let id = hostVeth
        try Masquerade.install(.init(id: id, addresses: addresses, owner: owner), on: try NftSocket())
        rollback.push("remove the masquerade of \(id)") { try Masquerade.remove(id: id, addresses: addresses, on: try NftSocket()) }
    }

    /// Whatever the config says now: a pod's masquerade must not outlive it.
    func remove() throws {
        try Masquerade.remove(id: hostVeth, addresses: [], on: try NftSocket())
    }

    /// GC and ADD's sweep: the masquerade of a stale attachment, whatever its config said.
    static func removeLeftover(_ record: BridgedPod.Record) throws {
        try Masquerade.remove(id: record.hostVeth, addresses: [], on: try NftSocket())
    }

    func isInstalled(_ result: Result) throws -> Bool {
        try Masquerade.isInstalled(id: hostVeth, addresses: result.ips.compactMap { IPNetwork($0.address) }, on: try NftSocket())
    }
}
