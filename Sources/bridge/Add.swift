import Attach
import CNIKit
import Netlink

/// ADD: record, bridge, veth, port flags, addresses — each step undone if a later one fails. The record is
/// written first so that GC finds an ADD that died halfway (SIGKILL, OOM, node reboot).
struct BridgeAdd {
    let call: Call
    let plan: BridgePlan

    func run() throws -> Result {
        let environment = call.environment
        let pod = try PodNamespace.open(environment)
        let node = try RouteSocket()
        let hostName = HostVethName.derive(containerID: environment.containerID, ifname: environment.ifname)

        return try Rollback.run { rollback in
            // The record comes first: an ADD killed at any later step leaves something GC can find.
            var record = AttachmentRecord(containerID: environment.containerID, ifname: environment.ifname,
                                          bridge: plan.bridge, hostVeth: hostName, addresses: [])
            try write(record, rollback: rollback)
            let bridge = try ensureBridge(node)
            let veth = try PodVeth.create(
                .init(hostName: hostName, ifname: environment.ifname, mtu: plan.mtu, mac: plan.mac,
                      bridgeIndex: bridge.index, podUp: !plan.disableContainerInterface),
                node: node, pod: pod, rollback: rollback)
            if plan.hairpin || plan.portIsolation {
                try node.setBridgePort(hostName, BridgePortFlags(hairpin: plan.hairpin, isolated: plan.portIsolation))
            }
            var result = Result(cniVersion: call.conf.cniVersion, interfaces: [
                .init(name: bridge.name),
                .init(name: veth.host.name, mac: veth.host.mac?.description ?? ""),
                .init(name: veth.pod.name, mac: veth.pod.mac?.description ?? "", mtu: Int(veth.pod.mtu), sandbox: pod.path),
            ])
            if plan.hasIPAM {
                let layer3 = BridgeLayer3(call: call, plan: plan)
                let leased = try layer3.allocate(rollback: rollback)
                (result.ips, result.routes, result.dns) = (leased.ips, leased.routes, leased.dns)
                try layer3.configurePod(result, pod: pod, ifname: environment.ifname)
                try layer3.configureGateways(result, node: node)
            }
            if plan.macSpoofCheck || plan.ipSpoofCheck, let mac = veth.pod.mac {
                let ipv4 = plan.ipSpoofCheck ? result.ips.compactMap { IPNetwork($0.address)?.address }.filter(\.isIPv4).map(\.bytes) : []
                try installSpoofCheck(SpoofCheck.Port(hostVeth: hostName, mac: mac, ipv4: ipv4,
                                                      owner: "\(environment.containerID)/\(environment.ifname)"),
                                      rollback: rollback)
            }
            if !plan.disableContainerInterface {
                try node.waitForForwarding(hostName, timeoutMilliseconds: 5000)
            }
            record.addresses = result.ips.map(\.address)
            try write(record, rollback: nil)
            // MACs can change as ports join and addresses are set: report the ones in place now.
            result.interfaces[0].mac = try node.existingLink(named: plan.bridge).mac?.description ?? ""
            result.interfaces[1].mac = try node.existingLink(named: hostName).mac?.description ?? ""
            if let dns = call.conf.dns, !dns.isEmpty { result.dns = dns }
            return result
        }
    }

    private func ensureBridge(_ node: borrowing RouteSocket) throws -> Link {
        try NodeBridge.withLock(plan.bridge) {
            try NodeBridge.ensure(.init(name: plan.bridge, mtu: plan.mtu, promiscuous: plan.promiscuous), on: node)
        }
    }

    private func installSpoofCheck(_ port: SpoofCheck.Port, rollback: Rollback) throws {
        try SpoofCheck.install(port, on: try NftSocket())
        rollback.push("remove spoof check of \(port.hostVeth)") {
            try SpoofCheck.remove(hostVeth: port.hostVeth, on: try NftSocket())
        }
    }

    /// Writes (or rewrites) the record; the first write pushes its removal.
    private func write(_ record: AttachmentRecord, rollback: Rollback?) throws {
        let store = StateStore(directory: plan.dataDir)
        let name = AttachmentRecord.fileName(containerID: record.containerID, ifname: record.ifname)
        try store.write(name: name, bytes: try record.encoded())
        rollback?.push("remove record \(plan.dataDir)/\(name)") { try store.remove(name: name) }
    }
}
