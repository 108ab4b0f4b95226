import Attach
import CNIKit
import Netlink
import OverlayCore

/// The overlay config validated, against the node policy too: a bad value fails before anything is created.
struct OverlayPlan {
    /// The network as its tunnels see it: VNI, port, MTU, bridge, peers (saved by ADD for the node agent).
    var segment: OverlaySegment
    var vni: UInt32 { segment.vni }
    var port: UInt16 { segment.port }
    var configuredMTU: UInt32? { segment.mtu }
    var bridge: String { segment.bridge }
    var owner: OwnerMark { segment.owner }
    /// True when `bridge` is the name derived from the network and VNI: an unmarked bridge of that name
    /// was made by an earlier version for this network, and is adopted.
    var adoptUnmarkedBridge: Bool
    var macSpoofCheck: Bool
    var ipSpoofCheck: Bool
    var linkLocal: SpoofCheck.LinkLocal
    var enableDAD: Bool
    var hasIPAM: Bool
    /// host-local (or another IPAM that allocates per node) while the policy does not allow it with peers.
    var nodeLocalIPAM: String?
    var mac: MACAddress?
    var records: RecordStore<BridgedPod.Record>
    var peers: PeerList

    /// IPAM types that allocate from a per-node store: on one segment across nodes they hand out one
    /// address on several nodes.
    static let nodeLocalIPAMTypes: Set<String> = ["host-local"]

    init(_ config: OverlayConfig, conf: NetConf, environment: Environment, policy: NodePolicy) throws(CNIError) {
        guard let vni = config.vni else {
            throw CNIError(.invalidConfig, "vni is required: the network's Geneve VNI, 1 to 16777215, the same on every node")
        }
        guard (1...0xFF_FFFF).contains(vni) else {
            throw CNIError(.invalidConfig, "vni: \(vni) is not a Geneve VNI (1 to 16777215)")
        }
        if let ranges = policy.overlay.vnis, !ranges.contains(where: { $0.contains(UInt32(vni)) }) {
            throw CNIError(.invalidConfig, "vni: \(vni) is outside the VNIs the node policy allows (overlay.vnis: "
                + "\(ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", "))); ask the node admin for one")
        }
        let port = config.port ?? OverlayConfig.defaultPort
        guard (1...65535).contains(port) else { throw CNIError(.invalidConfig, "port: \(port) is not a UDP port (1 to 65535)") }
        guard policy.overlay.ports.contains(UInt16(port)) else {
            throw CNIError(.invalidConfig, "port: UDP \(port) is not a port the node policy allows the overlay to bind "
                + "(overlay.ports: \(policy.overlay.ports.map(String.init).joined(separator: ", "))); leave it unset for 6081 or ask the node admin")
        }
        var mtu: UInt32?
        if let configured = config.mtu, configured != 0 {
            guard (68...65535).contains(configured) else {
                throw CNIError(.invalidConfig, "mtu: \(configured) is not a usable MTU (68 to 65535; 0 derives it from the underlay)")
            }
            mtu = UInt32(configured)
        }
        let derived = DerivedName.make(prefix: "l2o", key: "\(conf.name)/\(vni)")
        let bridge = config.bridge.flatMap { $0.isEmpty ? nil : $0 } ?? derived
        try Environment.validateInterfaceName(bridge, naming: "bridge", code: .invalidConfig)
        adoptUnmarkedBridge = bridge == derived
        peers = try PeerList(peers: config.peers ?? [], file: config.peersFile, policy: policy)
        segment = OverlaySegment(network: conf.name, vni: UInt32(vni), port: UInt16(port), mtu: mtu, bridge: bridge,
                                 peers: config.peers ?? [], peersFile: peers.file?.name)
        macSpoofCheck = config.macspoofchk ?? false
        ipSpoofCheck = config.ipspoofchk ?? false
        linkLocal = try SpoofCheck.LinkLocal(config: config.ipspoofchkLinkLocal)
        enableDAD = config.enabledad ?? false
        hasIPAM = conf.ipam != nil
        let allowNodeLocal = policy.overlay.nodeLocalIPAM
        nodeLocalIPAM = conf.ipam.flatMap { ipam in
            OverlayPlan.nodeLocalIPAMTypes.contains(ipam.type) && !allowNodeLocal ? ipam.type : nil
        }
        mac = try MACChoice.choose([
            .init("CNI_ARGS MAC", environment.args["MAC"]),
            .init("args.cni.mac", config.args?.cni?.mac),
            .init("runtimeConfig.mac", config.runtimeConfig?.mac),
        ])
        records = try config.records(network: conf.name, policy: policy)
    }
}

extension OverlayConfig {
    /// Where the attachment records of `network` live: under `dataDir`, or the default when unset or empty;
    /// either inside the node policy's state directories.
    func records(network: String, policy: NodePolicy) throws(CNIError) -> RecordStore<BridgedPod.Record> {
        try RecordStore(dataDir: dataDir, default: OverlayConfig.defaultDataDir, network: network, policy: policy)
    }
}
