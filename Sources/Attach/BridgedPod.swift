import CNIKit
import Netlink

/// A pod's port on a Linux bridge of the node, as `bridge` and `layer2-overlay` make it: the veth and
/// its port flags, the IPAM lease and the pod's addresses, the spoof check, the record — each step
/// pushing its undo — and the DEL and GC that remove them.
public enum BridgedPod {
    /// What ADD leaves for DEL, GC and the sweep of later ADDs (`Leftovers`).
    public struct Record: Codable, Equatable, Sendable {
        public var containerID: String
        public var ifname: String
        public var bridge: String
        public var hostVeth: String
        /// The addresses IPAM gave (for cleanups keyed by address).
        public var addresses: [String]
        /// The pod's namespace (CNI_NETNS) and its identity at ADD, for the sweep (`Leftovers`); absent in
        /// records of older versions.
        public var netns: String?
        public var netnsID: String?
    }

    public struct Port: Sendable {
        public var bridge: Link
        public var mtu: UInt32?
        public var mac: MACAddress?
        /// False for `disableContainerInterface`: the pod end stays down.
        public var podUp: Bool
        public var hairpin: Bool
        public var isolated: Bool

        public init(bridge: Link, mtu: UInt32?, mac: MACAddress?, podUp: Bool, hairpin: Bool = false, isolated: Bool = false) {
            self.bridge = bridge
            self.mtu = mtu
            self.mac = mac
            self.podUp = podUp
            self.hairpin = hairpin
            self.isolated = isolated
        }
    }

    /// The veth from the pod into the bridge, with its port flags. Returns a result holding the three
    /// interfaces: bridge, node end, pod end (with `sandbox`); IPs will point at index 2.
    /// The attachment's record is written first, so GC finds an ADD that died at any later step
    /// (SIGKILL, OOM, a node reboot); `finish` completes it.
    public static func connect(_ port: Port, _ call: Call, node: borrowing RouteSocket, pod: borrowing NetNS,
                               records: RecordStore<Record>, rollback: Rollback) throws -> Result {
        let environment = call.environment
        let hostName = HostVethName.derive(containerID: environment.containerID, ifname: environment.ifname)
        try records.save(Record(environment, bridge: port.bridge.name, hostVeth: hostName, addresses: []),
                         containerID: environment.containerID, ifname: environment.ifname, rollback: rollback)
        let veth = try PodVeth.create(
            .init(hostName: hostName, ifname: environment.ifname, mtu: port.mtu, mac: port.mac,
                  bridgeIndex: port.bridge.index, podUp: port.podUp),
            node: node, pod: pod, rollback: rollback)
        if port.hairpin || port.isolated {
            try node.setBridgePort(hostName, BridgePortFlags(hairpin: port.hairpin, isolated: port.isolated))
        }
        return Result(cniVersion: call.conf.cniVersion, interfaces: [
            .init(name: port.bridge.name),
            .init(name: veth.host.name, mac: veth.host.mac?.description ?? ""),
            .init(name: veth.pod.name, mac: veth.pod.mac?.description ?? "", mtu: Int(veth.pod.mtu), sandbox: pod.path),
        ])
    }

    /// Runs IPAM (the lease is released if a later step fails); a lease without an address is an error.
    /// Every IP of the lease belongs to the pod's interface (index 2 of the result).
    public static func lease(_ call: Call, rollback: Rollback) throws -> Result {
        var leased = try IPAM.add(call)
        rollback.push("release the IPAM lease") { IPAM.undoAdd(call) }
        guard !leased.ips.isEmpty else {
            throw CNIError(.ioFailure, "IPAM plugin \(call.conf.ipam?.type ?? "") returned no IP address: check its range")
        }
        for index in leased.ips.indices { leased.ips[index].interface = 2 }
        return leased
    }

    /// The spoof check of the pod's port: its MAC, and with `ipSpoofCheck` its IPv4 and IPv6 addresses (and
    /// the link-local ones `linkLocal` allows); `nodeInterfaces` (a VLAN gateway) hold node addresses too.
    public static func protect(_ result: Result, _ call: Call, ipSpoofCheck: Bool, linkLocal: SpoofCheck.LinkLocal,
                               nodeInterfaces: [String] = [], rollback: Rollback) throws {
        let pod = result.interfaces[2]
        guard let mac = MACAddress(pod.mac) else { return }
        let own = ipSpoofCheck ? result.ips.compactMap { IPNetwork($0.address)?.address } : []
        let (bridge, hostVeth) = (result.interfaces[0].name, result.interfaces[1].name)
        try SpoofCheck.install(.init(hostVeth: hostVeth, mac: mac, bridge: bridge, ipv4: own.filter(\.isIPv4).map(\.bytes),
                                     ipv6: own.filter { !$0.isIPv4 }.map(\.bytes), linkLocal: linkLocal,
                                     owner: "\(call.environment.containerID)/\(call.environment.ifname)"),
                               nodeInterfaces: nodeInterfaces, on: try NftSocket())
        rollback.push("remove the spoof check of \(hostVeth)") {
            try SpoofCheck.remove(hostVeth: hostVeth, bridge: bridge, on: try NftSocket())
        }
    }

    /// Waits until the port forwards (when the pod end is up), completes the record with the addresses
    /// and reports the MACs in place now (a bridge takes a port's MAC when its first port joins).
    public static func finish(_ result: inout Result, _ call: Call, podUp: Bool, records: RecordStore<Record>,
                              node: borrowing RouteSocket) throws {
        let environment = call.environment
        let (bridge, hostVeth) = (result.interfaces[0].name, result.interfaces[1].name)
        if podUp { try node.waitForForwarding(hostVeth, timeoutMilliseconds: 5000) }
        try records.save(Record(environment, bridge: bridge, hostVeth: hostVeth, addresses: result.ips.map(\.address)),
                         containerID: environment.containerID, ifname: environment.ifname)
        result.interfaces[0].mac = try node.existingLink(named: bridge).mac?.description ?? ""
        result.interfaces[1].mac = try node.existingLink(named: hostVeth).mac?.description ?? ""
        if let dns = call.conf.dns, !dns.isEmpty { result.dns = dns }
    }

    /// DEL: removes the veth through its node-side name (so a renamed pod interface or a vanished namespace
    /// leaves nothing behind) and the spoof-check rules whatever the config says now, then releases the
    /// lease (after the device, as the reference since v1.2.0: no other pod gets the address while this one
    /// still holds it), then the record. Every "already gone" is success.
    public static func detach(_ call: Call, records: RecordStore<Record>) throws {
        let environment = call.environment
        // The bridge's node-address sets are refreshed (or dropped) when the record says which bridge it was.
        let bridge = (try? records.load(containerID: environment.containerID, ifname: environment.ifname))??.bridge
        let node = try RouteSocket()
        let hostName = HostVethName.derive(containerID: environment.containerID, ifname: environment.ifname)
        if try node.link(named: hostName) != nil {
            try PodVeth.deleteIfPresent(hostName, in: node)
        } else if let pod = PodNamespace.openIfPresent(environment) {
            // Attached by another plugin of the same type (a random node-side name): remove the pod end if it is a veth.
            let podSocket = try RouteSocket(in: pod)
            if try podSocket.link(named: environment.ifname)?.kind == "veth" {
                try PodVeth.deleteIfPresent(environment.ifname, in: podSocket)
            }
        }
        try SpoofCheck.remove(hostVeth: hostName, bridge: bridge, on: try NftSocket())
        if call.conf.ipam != nil { try IPAM.del(call) }
        try records.remove(containerID: environment.containerID, ifname: environment.ifname)
    }

    /// GC: the attachments the runtime no longer lists lose their veth, rules, IPAM lease (an IPAM DEL for
    /// each) and record; `alsoRemove` takes away what the plugin itself added for one (before its
    /// record goes).
    public static func collect(_ call: Call, records: RecordStore<Record>,
                               alsoRemove: (Record) throws -> Void = { _ in }) throws {
        let node = try RouteSocket()
        for (file, record) in try records.stale(keeping: call.conf.validAttachments ?? []) {
            try undo(record, file: file, call, records: records, node: node, holdingBridgeLock: false, alsoRemove: alsoRemove)
        }
    }

    /// ADD's sweep (`Leftovers`): what GC removes, for the network's attachments whose pod namespace is
    /// gone. Call it under the network's lock, before this ADD's IPAM (so a freed address can be its).
    public static func sweep(_ call: Call, records: RecordStore<Record>, node: borrowing RouteSocket,
                             alsoRemove: (Record) throws -> Void = { _ in }) throws {
        Leftovers.sweep(try records.ofGonePods(), log: call.log) { file, record in
            try undo(record, file: file, call, records: records, node: node, holdingBridgeLock: true, alsoRemove: alsoRemove)
        }
    }

    /// `holdingBridgeLock`: the caller holds the lock of `record.bridge` (ADD's sweep), which the spoof
    /// check's node-address refresh needs; taken here otherwise (GC).
    private static func undo(_ record: Record, file: String, _ call: Call, records: RecordStore<Record>,
                             node: borrowing RouteSocket, holdingBridgeLock: Bool, alsoRemove: (Record) throws -> Void) throws {
        try PodVeth.deleteIfPresent(record.hostVeth, in: node)
        if holdingBridgeLock {
            try SpoofCheck.remove(hostVeth: record.hostVeth, holdingLockOf: record.bridge, on: try NftSocket())
        } else {
            try SpoofCheck.remove(hostVeth: record.hostVeth, bridge: record.bridge, on: try NftSocket())
        }
        try alsoRemove(record)
        if call.conf.ipam != nil { try IPAM.release(call, containerID: record.containerID, ifname: record.ifname) }
        try records.remove(file: file)
    }
}

extension BridgedPod.Record {
    /// The record of this call's attachment, with the identity its pod namespace has now.
    init(_ environment: Environment, bridge: String, hostVeth: String, addresses: [String]) {
        self.init(containerID: environment.containerID, ifname: environment.ifname, bridge: bridge, hostVeth: hostVeth,
                  addresses: addresses, netns: environment.netns, netnsID: environment.netns.flatMap(PodNamespace.identity))
    }
}
