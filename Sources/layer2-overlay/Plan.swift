import Attach
import CNIKit
import Netlink

/// The overlay config validated: a bad value fails before anything is created.
struct OverlayPlan {
    var vni: UInt32
    var port: UInt16
    var configuredMTU: UInt32?
    var bridge: String
    var macSpoofCheck: Bool
    var ipSpoofCheck: Bool
    var linkLocal: SpoofCheck.LinkLocal
    var enableDAD: Bool
    var hasIPAM: Bool
    var mac: MACAddress?
    var records: RecordStore<BridgedPod.Record>
    var configuredPeers: [IPAddress]
    var peersFile: String?

    init(_ config: OverlayConfig, conf: NetConf, environment: Environment) throws(CNIError) {
        guard let vni = config.vni else {
            throw CNIError(.invalidConfig, "vni is required: the network's Geneve VNI, 1 to 16777215, the same on every node")
        }
        guard (1...0xFF_FFFF).contains(vni) else {
            throw CNIError(.invalidConfig, "vni: \(vni) is not a Geneve VNI (1 to 16777215)")
        }
        self.vni = UInt32(vni)
        let port = config.port ?? OverlayConfig.defaultPort
        guard (1...65535).contains(port) else { throw CNIError(.invalidConfig, "port: \(port) is not a UDP port (1 to 65535)") }
        self.port = UInt16(port)
        if let mtu = config.mtu, mtu != 0 {
            guard (68...65535).contains(mtu) else {
                throw CNIError(.invalidConfig, "mtu: \(mtu) is not a usable MTU (68 to 65535; 0 derives it from the underlay)")
            }
            configuredMTU = UInt32(mtu)
        }
        bridge = config.bridge.flatMap { $0.isEmpty ? nil : $0 } ?? DerivedName.make(prefix: "l2o", key: "\(conf.name)/\(vni)")
        try Environment.validateInterfaceName(bridge, naming: "bridge", code: .invalidConfig)
        macSpoofCheck = config.macspoofchk ?? false
        ipSpoofCheck = config.ipspoofchk ?? false
        linkLocal = try SpoofCheck.LinkLocal(config: config.ipspoofchkLinkLocal)
        enableDAD = config.enabledad ?? false
        hasIPAM = conf.ipam != nil
        mac = try MACChoice.choose([
            .init("CNI_ARGS MAC", environment.args["MAC"]),
            .init("args.cni.mac", config.args?.cni?.mac),
            .init("runtimeConfig.mac", config.runtimeConfig?.mac),
        ])
        records = config.records(network: conf.name)
        configuredPeers = try OverlayPlan.addresses(config.peers ?? [], source: "peers")
        peersFile = config.peersFile.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Every peer: `peers` and the lines of `peersFile` (read now), without duplicates, in order.
    func peers() throws(CNIError) -> [IPAddress] {
        var all = configuredPeers
        if let peersFile {
            guard let text = readTextFile(peersFile) else {
                throw CNIError(.invalidConfig, "peersFile: cannot read \(peersFile); create it (one underlay IP per line) or remove the key")
            }
            let lines = text.split(separator: "\n").map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
                .map { String($0.filter { !$0.isWhitespace }) }.filter { !$0.isEmpty }
            all += try OverlayPlan.addresses(lines, source: "peersFile \(peersFile)")
        }
        var seen = Set<IPAddress>()
        return all.filter { seen.insert($0).inserted }
    }

    private static func addresses(_ texts: [String], source: String) throws(CNIError) -> [IPAddress] {
        var result: [IPAddress] = []
        for (index, text) in texts.enumerated() {
            guard let address = IPAddress(text) else {
                throw CNIError(.invalidConfig, "\(source)[\(index)]: \"\(text)\" is not an IP address (each peer is a node's underlay IP)")
            }
            result.append(address)
        }
        return result
    }
}

extension OverlayConfig {
    /// Where the attachment records of `network` live: under `dataDir`, or the default when unset or empty.
    func records(network: String) -> RecordStore<BridgedPod.Record> {
        RecordStore(dataDir: dataDir, default: OverlayConfig.defaultDataDir, network: network)
    }
}
