import Attach
import CNIKit
import Netlink

/// The overlay config validated, against the node policy too: a bad value fails before anything is created.
struct OverlayPlan {
    var vni: UInt32
    var port: UInt16
    var configuredMTU: UInt32?
    var bridge: String
    /// The bridge carries this mark; made by this network or adopted (see `adoptUnmarkedBridge`).
    var owner: OwnerMark
    /// True when `bridge` is the name derived from the network and VNI: an unmarked bridge of that name
    /// was made by an earlier version for this network, and is adopted.
    var adoptUnmarkedBridge: Bool
    var macSpoofCheck: Bool
    var ipSpoofCheck: Bool
    var enableDAD: Bool
    var hasIPAM: Bool
    /// host-local (or another IPAM that allocates per node) while the policy does not allow it with peers.
    var nodeLocalIPAM: String?
    var mac: MACAddress?
    var records: RecordStore<BridgedPod.Record>
    var configuredPeers: [IPAddress]
    var peersFile: NamedFile?
    var policy: NodePolicy.Overlay

    /// IPAM types that allocate from a per-node store: on one segment across nodes they hand out one
    /// address on several nodes.
    static let nodeLocalIPAMTypes: Set<String> = ["host-local"]
    static let peersFileLimit = 1 << 20

    init(_ config: OverlayConfig, conf: NetConf, environment: Environment, policy nodePolicy: NodePolicy) throws(CNIError) {
        policy = nodePolicy.overlay
        guard let vni = config.vni else {
            throw CNIError(.invalidConfig, "vni is required: the network's Geneve VNI, 1 to 16777215, the same on every node")
        }
        guard (1...0xFF_FFFF).contains(vni) else {
            throw CNIError(.invalidConfig, "vni: \(vni) is not a Geneve VNI (1 to 16777215)")
        }
        self.vni = UInt32(vni)
        if let ranges = policy.vnis, !ranges.contains(where: { $0.contains(UInt32(vni)) }) {
            throw CNIError(.invalidConfig, "vni: \(vni) is outside the VNIs the node policy allows (overlay.vnis: "
                + "\(ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", "))); ask the node admin for one")
        }
        let port = config.port ?? OverlayConfig.defaultPort
        guard (1...65535).contains(port) else { throw CNIError(.invalidConfig, "port: \(port) is not a UDP port (1 to 65535)") }
        guard policy.ports.contains(UInt16(port)) else {
            throw CNIError(.invalidConfig, "port: UDP \(port) is not a port the node policy allows the overlay to bind "
                + "(overlay.ports: \(policy.ports.map(String.init).joined(separator: ", "))); leave it unset for 6081 or ask the node admin")
        }
        self.port = UInt16(port)
        if let mtu = config.mtu, mtu != 0 {
            guard (68...65535).contains(mtu) else {
                throw CNIError(.invalidConfig, "mtu: \(mtu) is not a usable MTU (68 to 65535; 0 derives it from the underlay)")
            }
            configuredMTU = UInt32(mtu)
        }
        let derived = DerivedName.make(prefix: "l2o", key: "\(conf.name)/\(vni)")
        bridge = config.bridge.flatMap { $0.isEmpty ? nil : $0 } ?? derived
        try Environment.validateInterfaceName(bridge, naming: "bridge", code: .invalidConfig)
        adoptUnmarkedBridge = bridge == derived
        owner = OwnerMark(plugin: "layer2-overlay", network: conf.name, vni: UInt32(vni))
        macSpoofCheck = config.macspoofchk ?? false
        ipSpoofCheck = config.ipspoofchk ?? false
        enableDAD = config.enabledad ?? false
        hasIPAM = conf.ipam != nil
        let allowNodeLocal = nodePolicy.overlay.nodeLocalIPAM
        nodeLocalIPAM = conf.ipam.flatMap { ipam in
            OverlayPlan.nodeLocalIPAMTypes.contains(ipam.type) && !allowNodeLocal ? ipam.type : nil
        }
        mac = try MACChoice.choose([
            .init("CNI_ARGS MAC", environment.args["MAC"]),
            .init("args.cni.mac", config.args?.cni?.mac),
            .init("runtimeConfig.mac", config.runtimeConfig?.mac),
        ])
        records = try config.records(network: conf.name, policy: nodePolicy)
        let peers = config.peers ?? []
        guard peers.count <= policy.maxPeers else {
            throw CNIError(.invalidConfig, "peers: \(peers.count) peers are more than the node policy allows (overlay.maxPeers \(policy.maxPeers))")
        }
        configuredPeers = try OverlayPlan.addresses(peers.map { ($0, $0) }, source: "peers", policy: policy)
        peersFile = try config.peersFile.flatMap { $0.isEmpty ? nil : $0 }.map { (name) throws(CNIError) in
            try NamedFile(key: "peersFile", name: name, directory: nodePolicy.peersDirectory)
        }
    }

    /// Every peer: `peers` and the lines of `peersFile` (read now), without duplicates, in order. The
    /// file's lines are never quoted in errors: it may be any file the admin's directory holds.
    func peers() throws(CNIError) -> [IPAddress] {
        var all = configuredPeers
        if let peersFile {
            let text = String(decoding: try peersFile.read(limit: OverlayPlan.peersFileLimit), as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { number, line in
                let address = String((line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    .filter { !$0.isWhitespace })
                return address.isEmpty ? nil : (address, "line \(number + 1)")
            }
            all += try OverlayPlan.addresses(lines, source: "peersFile \(peersFile.path)", policy: policy, quote: false)
        }
        var seen = Set<IPAddress>()
        let unique = all.filter { seen.insert($0).inserted }
        guard unique.count <= policy.maxPeers else {
            throw CNIError(.invalidConfig, "peers and peersFile: \(unique.count) peers are more than the node policy allows (overlay.maxPeers \(policy.maxPeers))")
        }
        return unique
    }

    /// Parses (text, where) pairs; `quote` says whether the text may be shown in an error.
    private static func addresses(_ texts: [(text: String, place: String)], source: String, policy: NodePolicy.Overlay,
                                  quote: Bool = true) throws(CNIError) -> [IPAddress] {
        var result: [IPAddress] = []
        for (index, entry) in texts.enumerated() {
            let place = quote ? "\(source)[\(index)]" : "\(source) \(entry.place)"
            guard let address = IPAddress(entry.text) else {
                throw CNIError(.invalidConfig, "\(place): \(quote ? "\"\(entry.text)\" is" : "the line is") not an IP address (each peer is a node's underlay IP)")
            }
            if let underlay = policy.underlay, !underlay.contains(where: { $0.contains(address) }) {
                throw CNIError(.invalidConfig, "\(place): \(quote ? "\(address)" : "the peer") is outside the underlay networks the node policy allows "
                    + "(overlay.underlay: \(underlay.map(\.description).joined(separator: ", ")))")
            }
            result.append(address)
        }
        return result
    }
}

extension OverlayConfig {
    /// Where the attachment records of `network` live: under `dataDir`, or the default when unset or empty;
    /// either inside the node policy's state directories.
    func records(network: String, policy: NodePolicy) throws(CNIError) -> RecordStore<BridgedPod.Record> {
        try RecordStore(dataDir: dataDir, default: OverlayConfig.defaultDataDir, network: network, policy: policy)
    }
}
